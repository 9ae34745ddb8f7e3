// The renderer's Content Security Policy, one for both hosts: nothing but its own files, blob: and
// data: images and media, and (in the desktop app) the media protocol for the player and filmstrip.
// renderer/index.html carries the same policy in a meta tag (a test keeps them equal).

export function rendererContentSecurityPolicy(mediaSources: readonly string[] = []): string {
  const media = mediaSources.length > 0 ? ` ${mediaSources.join(' ')}` : '';
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `img-src 'self' blob: data:${media}`,
    `media-src 'self' blob:${media}`,
    "connect-src 'self'",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
