// A clip's thumbnail (filmstrip, cited clips, library) that asks again when it could not be loaded
// (the server's ffmpeg was busy, the connection blinked): up to 4 retries, 0.5 s, 1 s, 2 s, 4 s apart.
import { useState } from 'react';

export const THUMBNAIL_RETRIES = 4;

export function ClipThumbnail({ src, className = '' }: { src: string; className?: string }) {
  const [attempt, setAttempt] = useState(0);
  const [failed, setFailed] = useState(false);
  const box = `aspect-video w-full bg-zinc-200 dark:bg-zinc-800 ${className}`;
  return failed ? (
    <span data-testid="thumbnail-failed" className={`flex items-center justify-center text-[10px] text-zinc-500 ${box}`}>
      no preview
    </span>
  ) : (
    <img
      src={attempt === 0 ? src : `${src}${src.includes('?') ? '&' : '?'}attempt=${attempt}`}
      alt=""
      loading="lazy"
      onError={() => {
        if (attempt >= THUMBNAIL_RETRIES) setFailed(true);
        else setTimeout(() => setAttempt((a) => a + 1), 500 * 2 ** attempt);
      }}
      className={`object-cover ${box}`}
    />
  );
}
