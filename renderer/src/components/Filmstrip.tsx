// The clips the model looks at: a thumbnail and time range each; a click seeks to the clip; the
// clip under the playhead (or the one a time link points at) is highlighted.
import { useEffect, useRef } from 'react';
import type { ClipSummary } from '../../../electron/shared/app-api';
import { formatDuration } from '../../../electron/shared/progress';
import { getApi } from '../stores/api-instance';
import { useSettingsStore } from '../stores/settings-store';
import { clipAt, useVideoStore } from '../stores/video-store';
import { ClipThumbnail } from './ClipThumbnail';
import { formatClock } from './format-time';

/** "m:ss–m:ss" per clip; when whole seconds would give two clips the same label (short videos),
 * tenths, then hundredths are shown ("0:00.04–0:01.54"). */
export function clipLabels(clips: ClipSummary[]): string[] {
  let labels: string[] = [];
  for (const decimals of [0, 1, 2]) {
    labels = clips.map((c) => `${formatClock(c.start, decimals)}–${formatClock(c.end, decimals)}`);
    if (new Set(labels).size === labels.length) break;
  }
  return labels;
}

const RATIOS = [0.25, 0.5, 0.65, 0.8, 1] as const;

/**
 * What watching this video costs here: clips, video tokens, time at the rate measured on this device
 * (corrected to what it took once encoded; the progress panel's ETA corrects it while it runs), and
 * the clip sampling ratio: changing it re-plans the clips and restarts the encoding at once (the
 * clips encoded so far stay cached for that ratio).
 */
function CostLine() {
  const analysis = useVideoStore((s) => s.analysis);
  const ratio = useSettingsStore((s) => s.settings.clipSamplingRatio);
  const update = useSettingsStore((s) => s.update);
  if (analysis === null) return null;
  const clips = analysis.clips.length;
  const tokens = analysis.tokensPerClip !== undefined ? clips * analysis.tokensPerClip : undefined;
  const estimate = analysis.estimate;
  const encoded = analysis.encoded;
  const device = estimate ? `${{ cuda: 'CUDA', webgpu: 'WebGPU', dml: 'DirectML', cpu: 'CPU' }[estimate.device] ?? estimate.device} ${estimate.precision}` : '';
  return (
    <p data-testid="encode-cost" className="flex flex-wrap items-center gap-x-2 gap-y-1 text-xs text-zinc-500">
      {tokens !== undefined && <span data-testid="video-tokens">{tokens.toLocaleString('en-US')} video tokens</span>}
      <span data-testid="encode-estimate" data-state={encoded === undefined ? 'estimate' : encoded.fromCache ? 'cached' : 'measured'}>
        {encoded !== undefined
          ? encoded.fromCache
            ? '· already watched: cached on this machine'
            : `· watched in ${formatDuration(encoded.ms)} here (${(encoded.ms / Math.max(1, encoded.clips) / 1000).toFixed(1)} s per clip${estimate ? `; estimated ${formatDuration(clips * estimate.msPerClip)}` : ''})`
          : estimate
            ? `· about ${formatDuration(clips * estimate.msPerClip)} to watch on this machine (${(estimate.msPerClip / 1000).toFixed(1)} s per clip measured on ${device})`
            : '· time to watch: measured on the first video encoded with these settings'}
      </span>
      <label className="ml-auto flex items-center gap-1">
        Detail
        <select
          data-testid="clip-ratio"
          value={ratio}
          title="Clip sampling ratio: lower = fewer clips, faster, less detail"
          onChange={(e) => void update({ clipSamplingRatio: Number(e.target.value) })}
          className="rounded border border-zinc-300 bg-white px-1 py-0.5 text-xs dark:border-zinc-700 dark:bg-zinc-900"
        >
          {(RATIOS as readonly number[]).includes(ratio) ? null : <option value={ratio}>{ratio}</option>}
          {RATIOS.map((r) => (
            <option key={r} value={r}>
              {r === 1 ? 'all clips (1.0)' : r === 0.65 ? 'default (0.65)' : `${r}`}
            </option>
          ))}
        </select>
      </label>
    </p>
  );
}

export function Filmstrip() {
  const analysis = useVideoStore((s) => s.analysis);
  const currentTime = useVideoStore((s) => s.currentTime);
  const focusedClips = useVideoStore((s) => s.focusedClips);
  const seekTo = useVideoStore((s) => s.seekTo);
  const strip = useRef<HTMLOListElement>(null);
  const clips = analysis?.clips ?? [];
  const playing = clipAt(clips, currentTime);
  const active = focusedClips ?? (playing === null ? [] : [playing]);
  const first = active[0] ?? null;
  const labels = clipLabels(clips);

  useEffect(() => {
    if (first === null) return;
    const el = strip.current?.querySelector<HTMLElement>(`[data-clip="${first}"]`);
    el?.scrollIntoView?.({ block: 'nearest', inline: 'nearest' });
  }, [first]);

  if (analysis === null) return null;
  return (
    <section aria-label="Clips the model looks at">
      <h2 className="mb-2 text-sm font-medium text-zinc-600 dark:text-zinc-400">
        {clips.length} clip{clips.length === 1 ? '' : 's'} sampled from {formatClock(analysis.probe.duration)}
      </h2>
      <CostLine />
      <ol ref={strip} data-testid="filmstrip" className="flex gap-2 overflow-x-auto pb-2">
        {clips.map((clip) => (
          <li key={clip.index} data-clip={clip.index}>
            <button
              type="button"
              data-testid="clip"
              data-active={active.includes(clip.index) ? 'true' : 'false'}
              onClick={() => seekTo(clip.start)}
              title={`Clip ${clip.index + 1}: ${clip.label} seconds`}
              className={`flex w-28 shrink-0 flex-col overflow-hidden rounded-md border text-left text-xs transition ${
                active.includes(clip.index) ? 'border-indigo-500 ring-2 ring-indigo-500' : 'border-zinc-200 hover:border-zinc-400 dark:border-zinc-800'
              }`}
            >
              <ClipThumbnail src={getApi().thumbnailUrl(analysis.video, clip.index)} />
              <span className="px-1.5 py-1 tabular-nums">{labels[clip.index]}</span>
            </button>
          </li>
        ))}
      </ol>
    </section>
  );
}
