// Content types by file extension, for both hosts: the renderer's own files (app:// in Electron,
// the web server in web mode) and the videos served to <video>.

const STATIC_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const VIDEO_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.mov': 'video/quicktime',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.avi': 'video/x-msvideo',
  '.ogv': 'video/ogg',
  '.mpg': 'video/mpeg',
  '.mpeg': 'video/mpeg',
  '.ts': 'video/mp2t',
  '.3gp': 'video/3gpp',
};

function extensionOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return dot >= 0 && dot > Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) ? path.slice(dot).toLowerCase() : '';
}

export function staticContentType(path: string): string {
  return STATIC_TYPES[extensionOf(path)] ?? 'application/octet-stream';
}

export function videoContentType(path: string): string {
  return VIDEO_TYPES[extensionOf(path)] ?? 'application/octet-stream';
}
