// Which chat a mail lands in, and so whether it can wake the assistant. Each correspondent is
// a chat, keyed by address; the core answers only chats registered as groups (the owner's main
// chat, correspondents the owner registered) and stores the rest as discovered. The owner's
// addresses all map to the first one, so the owner reaches the same chat from any of them.
// A From: line costs nothing to forge, so a mail counts as from its address only when the
// receiving provider vouched for it: the topmost Authentication-Results header (the one the
// owner's own provider added, RFC 8601) says DMARC passed, or DKIM or SPF passed for the From:
// domain. Lower Authentication-Results headers are ignored: the sender can write those. Any
// other mail lands in an "unverified:<address>" chat, which is never registered: stored,
// listed, never answered.

export const UNVERIFIED_PREFIX = "unverified:";

export interface SenderPolicy {
  /** The owner's addresses, any case; the first is the owner's chat. */
  owners: readonly string[];
  /**
   * Servers that add no Authentication-Results (a self-hosted Dovecot without a milter) can
   * only be trusted on the From: line; the owner opts in to that with EMAIL_TRUST_UNSIGNED.
   */
  trustUnauthenticated: boolean;
}

export interface SenderVerdict {
  chatId: string;
  verified: boolean;
  /** Why the mail is not trusted, in words the log can show. */
  reason?: string;
}

export function normalizeAddress(address: string): string {
  return address.trim().toLowerCase();
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf("@") + 1).toLowerCase();
}

/** `d` is `domain` or one of its subdomains (never a parent: a From: of victim.co.uk must not align with d=co.uk). */
function aligned(d: string | undefined, domain: string): boolean {
  if (!d) return false;
  const candidate = d.replace(/^@/, "").toLowerCase();
  const bare = candidate.slice(candidate.lastIndexOf("@") + 1);
  return bare === domain || bare.endsWith(`.${domain}`);
}

/** The results in one Authentication-Results header, e.g. `dkim=pass header.d=example.com`. */
export function parseAuthenticationResults(
  header: string,
): { method: string; result: string; properties: Record<string, string> }[] {
  const withoutComments = header.replace(/\([^()]*\)/g, " ");
  const [, ...parts] = withoutComments.split(";");
  return parts.flatMap((part) => {
    const tokens = part.trim().split(/\s+/);
    const head = /^([\w.-]+)=([\w-]+)$/.exec(tokens[0] ?? "");
    if (!head) return [];
    const properties: Record<string, string> = {};
    for (const token of tokens.slice(1)) {
      const property = /^([\w-]+\.[\w-]+)=(.+)$/.exec(token);
      if (property) properties[property[1]!.toLowerCase()] = property[2]!.replace(/^"|"$/g, "");
    }
    return [{ method: head[1]!.toLowerCase(), result: head[2]!.toLowerCase(), properties }];
  });
}

/** Whether the topmost Authentication-Results header vouches for `from`. */
export function providerVouches(authenticationResults: readonly string[], from: string): boolean {
  const topmost = authenticationResults[0];
  if (!topmost) return false;
  const domain = domainOf(normalizeAddress(from));
  return parseAuthenticationResults(topmost).some(({ method, result, properties }) => {
    if (result !== "pass") return false;
    if (method === "dmarc") return aligned(properties["header.from"] ?? domain, domain);
    if (method === "dkim") return aligned(properties["header.d"] ?? properties["header.i"], domain);
    if (method === "spf") return aligned(properties["smtp.mailfrom"], domain);
    return false;
  });
}

export function judgeSender(
  from: string,
  authenticationResults: readonly string[],
  policy: SenderPolicy,
): SenderVerdict {
  const address = normalizeAddress(from);
  const owners = policy.owners.map(normalizeAddress);
  const chatId = owners.includes(address) ? owners[0]! : address;
  if (providerVouches(authenticationResults, address)) return { chatId, verified: true };
  if (authenticationResults.length === 0 && policy.trustUnauthenticated)
    return { chatId, verified: true };
  return {
    chatId: `${UNVERIFIED_PREFIX}${address}`,
    verified: false,
    reason:
      authenticationResults.length === 0
        ? `the mail server did not authenticate ${address} (no Authentication-Results header); set EMAIL_TRUST_UNSIGNED=1 if it never adds one`
        : `the mail server could not confirm the mail came from ${address} (DKIM, SPF and DMARC did not pass)`,
  };
}
