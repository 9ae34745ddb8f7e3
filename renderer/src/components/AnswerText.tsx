// An answer rendered as Markdown (react-markdown + GFM: lists, tables, code, links), safely: raw
// HTML is never rendered (it is shown as the text the model wrote), link addresses go through
// react-markdown's URL filter, and links open outside the app. Times the answer names become
// links inside the rendered text (never inside code): a click seeks the player and highlights the
// clip, or every clip of a range. A time past the end of the video stays plain text.
import { memo, useDeferredValue, useRef, useState, type ReactNode } from 'react';
import Markdown, { type Components } from 'react-markdown';
import remarkGfm from 'remark-gfm';
import type { Root, RootContent, PhrasingContent, Text } from 'mdast';
import { findTimeReferences } from '../chat/time-references';
import { useVideoStore } from '../stores/video-store';

const TIME_HREF = '#apollo-time=';

type Parent = { children: RootContent[] };

/** Splits text nodes at the times they name into link nodes `#apollo-time=start[-end]`. */
function linkTimes(node: Parent): void {
  const out: RootContent[] = [];
  for (const child of node.children) {
    if (child.type === 'text') out.push(...splitText(child));
    else if (child.type === 'html') out.push({ type: 'text', value: child.value });
    else {
      // Links keep their own text; code is never scanned.
      if ('children' in child && child.type !== 'link' && child.type !== 'linkReference') linkTimes(child as Parent);
      out.push(child);
    }
  }
  node.children = out;
}

function splitText(node: Text): PhrasingContent[] {
  const text = node.value;
  const found = findTimeReferences(text);
  if (found.length === 0) return [node];
  const parts: PhrasingContent[] = [];
  let cursor = 0;
  for (const f of found) {
    if (f.index > cursor) parts.push({ type: 'text', value: text.slice(cursor, f.index) });
    const value = text.slice(f.index, f.index + f.length);
    parts.push({ type: 'link', url: `${TIME_HREF}${f.start}${f.end !== undefined ? `-${f.end}` : ''}`, children: [{ type: 'text', value }] });
    cursor = f.index + f.length;
  }
  if (cursor < text.length) parts.push({ type: 'text', value: text.slice(cursor) });
  return parts;
}

function remarkTimeLinks() {
  return (tree: Root) => linkTimes(tree as Parent);
}

function textOf(node: ReactNode): string {
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(textOf).join('');
  if (node !== null && typeof node === 'object' && 'props' in node) return textOf((node.props as { children?: ReactNode }).children);
  return '';
}

function CodeBlock({ children }: { children?: ReactNode }) {
  const [copied, setCopied] = useState(false);
  const pre = useRef<HTMLPreElement>(null);
  return (
    <div className="group/code relative my-2">
      <button
        type="button"
        data-testid="copy-code"
        onClick={() => {
          const text = pre.current?.textContent ?? textOf(children);
          void navigator.clipboard?.writeText(text.replace(/\n$/, '')).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
        className="absolute right-1.5 top-1.5 rounded bg-zinc-700/80 px-1.5 py-0.5 text-[11px] text-zinc-100 opacity-70 hover:opacity-100 focus:opacity-100"
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
      <pre ref={pre} data-testid="code-block" className="overflow-x-auto rounded-md bg-zinc-900 p-3 pr-14 text-[13px] leading-snug text-zinc-100 dark:bg-black/60">
        {children}
      </pre>
    </div>
  );
}

function TimeLink({ href, children }: { href: string; children?: ReactNode }) {
  const seekTo = useVideoStore((s) => s.seekTo);
  const duration = useVideoStore((s) => s.analysis?.probe.duration);
  const [a, b] = href.slice(TIME_HREF.length).split('-');
  const start = Number(a);
  const end = b === undefined ? undefined : Number(b);
  // A time the video does not have is not a place to go (the model misspoke or counted wrong).
  if (duration !== undefined && start > duration + 0.5) {
    return (
      <span data-testid="time-out-of-range" title={`The video is only ${Math.round(duration)} s long`}>
        {children}
      </span>
    );
  }
  return (
    <button
      type="button"
      data-testid="time-link"
      data-start={start}
      {...(end !== undefined ? { 'data-end': end } : {})}
      onClick={() => seekTo(start, end)}
      className="rounded px-0.5 font-medium text-indigo-600 underline decoration-indigo-300 underline-offset-2 hover:bg-indigo-50 dark:text-indigo-400 dark:hover:bg-indigo-950"
    >
      {children}
    </button>
  );
}

const components: Components = {
  a({ href, children }) {
    if (href?.startsWith(TIME_HREF)) return <TimeLink href={href}>{children}</TimeLink>;
    if (href === undefined || href === '') return <span>{children}</span>;
    return (
      <a href={href} target="_blank" rel="noopener noreferrer nofollow" data-testid="answer-link" className="text-indigo-600 underline underline-offset-2 dark:text-indigo-400">
        {children}
      </a>
    );
  },
  pre({ children }) {
    return <CodeBlock>{children}</CodeBlock>;
  },
  table({ children }) {
    return (
      <div className="my-2 overflow-x-auto">
        <table>{children}</table>
      </div>
    );
  },
  img({ alt }) {
    // No remote content: an image in an answer is shown as its description.
    return <span>{alt ? `[image: ${alt}]` : '[image]'}</span>;
  },
};

const plugins = [remarkGfm, remarkTimeLinks];

const RenderedMarkdown = memo(function RenderedMarkdown({ text }: { text: string }) {
  return (
    <Markdown remarkPlugins={plugins} components={components} skipHtml={false}>
      {text}
    </Markdown>
  );
});

/**
 * A streaming (`live`) answer grows by a token at a time; parsing it anew for each would keep the
 * page busy (a long answer is tens of kilobytes, at tens of tokens per second). While live, the
 * parse follows the text as the page has time for it (React's deferred value: a stale render is
 * abandoned, never queued); a finished answer is shown exactly, in the same render as its status.
 */
export const AnswerText = memo(function AnswerText({ text, live = false }: { text: string; live?: boolean }) {
  const deferred = useDeferredValue(text);
  const shown = live ? deferred : text;
  return (
    <div className="markdown">
      <RenderedMarkdown text={shown} />
    </div>
  );
});
