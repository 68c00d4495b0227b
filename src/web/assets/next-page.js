// Where the login page goes after logging in: the `next` page that sent the browser there.

/**
 * The address to go to after logging in: `next` when it is a path on this site, else the
 * chat. Judged on what the URL parser makes of it (it drops tabs and newlines and reads
 * "\" as "/", so "/\evil.example" is another host), and returned absolute, so that the
 * browser cannot read it as a host-relative "//…" address either.
 */
export function nextPage(next, origin) {
  if (!next || !next.startsWith("/")) return `${origin}/`;
  try {
    const url = new URL(next, origin);
    return url.origin === origin ? url.href : `${origin}/`;
  } catch {
    return `${origin}/`;
  }
}
