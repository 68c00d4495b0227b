// Where the agent's browser may go. Pure checks: the SOCKS guard applies `refusedConnection`
// to every connection Chromium makes (so redirects, clicks, subresources and DNS names that
// resolve to this machine are covered), the file route applies `fileAllowed`, and the tools
// apply `checkNavigation` to what the agent asks for, to answer with a clear reason.
import { isIP } from "node:net";
import { resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

export interface NavigationPolicy {
  /** The group's folder: file:// URLs may only point inside it. */
  groupDir: string;
  /** Ports of this service (admin HTTP, credential proxy) that no page may reach here. */
  servicePorts: readonly number[];
}

export type Verdict = { allowed: true; url: URL } | { allowed: false; reason: string };

/** Page addresses that are not navigations anywhere (blank tabs, Chromium's error pages). */
const INERT = /^(about:blank|chrome-error:\/\/)/;

export function isInside(path: string, dir: string): boolean {
  const child = resolve(path);
  const parent = resolve(dir);
  return child === parent || child.startsWith(parent.endsWith(sep) ? parent : parent + sep);
}

/** The file path of a file: URL inside the group folder, or why it is refused. */
export function fileAllowed(url: URL, groupDir: string): Verdict {
  let path: string;
  try {
    path = fileURLToPath(url);
  } catch {
    return { allowed: false, reason: `${url.href} is not a local file URL` };
  }
  if (!isInside(path, groupDir))
    return { allowed: false, reason: `${path} is outside this chat's folder (${groupDir})` };
  return { allowed: true, url };
}

export function defaultPort(url: URL): number {
  if (url.port) return Number(url.port);
  return url.protocol === "https:" || url.protocol === "wss:" ? 443 : 80;
}

/** Strips IPv6 brackets and unmaps ::ffff:a.b.c.d, so every spelling of an address compares equal. */
export function normalizeAddress(host: string): string {
  let address = host.toLowerCase();
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return mapped[1]!;
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (hexMapped) {
    const high = parseInt(hexMapped[1]!, 16);
    const low = parseInt(hexMapped[2]!, 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join(".");
  }
  return address;
}

/** Loopback, "any" and this machine's own interface addresses all reach a local listener. */
export function isLocalAddress(address: string, interfaceAddresses: readonly string[]): boolean {
  const normalized = normalizeAddress(address);
  if (/^127\./.test(normalized) || normalized === "0.0.0.0") return true;
  if (normalized === "::1" || normalized === "::") return true;
  return interfaceAddresses.some((own) => normalizeAddress(own) === normalized);
}

/**
 * Why a connection to `address` (an IP) on `port` is refused, or undefined when allowed:
 * the service's own ports on this machine are off limits, everything else is the web.
 */
export function refusedConnection(
  address: string,
  port: number,
  servicePorts: readonly number[],
  interfaceAddresses: readonly string[],
): string | undefined {
  if (!servicePorts.includes(port) || !isLocalAddress(address, interfaceAddresses))
    return undefined;
  return `port ${port} on this machine is the assistant's own service`;
}

/** What the agent asked to open: an absolute http(s) URL, or a file inside its folder. */
export function checkNavigation(raw: string, policy: NavigationPolicy): Verdict {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return {
      allowed: false,
      reason: `"${raw}" is not an absolute URL (expected e.g. https://example.com or file:///path)`,
    };
  }
  if (url.protocol === "file:") return fileAllowed(url, policy.groupDir);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    return {
      allowed: false,
      reason: `${url.protocol} URLs are not allowed (only http, https, file)`,
    };
  // Literal addresses and localhost are refused here with a clear reason; names that only
  // resolve to this machine are stopped by the SOCKS guard.
  const host = normalizeAddress(url.hostname);
  const address = host === "localhost" || host.endsWith(".localhost") ? "127.0.0.1" : host;
  const refused =
    isIP(address) === 0
      ? undefined
      : refusedConnection(address, defaultPort(url), policy.servicePorts, []);
  return refused ? { allowed: false, reason: `${url.href}: ${refused}` } : { allowed: true, url };
}

/**
 * Whether the browser may show a page at `href` now: what `checkNavigation` allows, plus
 * blank tabs and error pages.
 */
export function pageAllowed(href: string, policy: NavigationPolicy): Verdict {
  if (INERT.test(href)) return { allowed: true, url: new URL(href) };
  return checkNavigation(href, policy);
}
