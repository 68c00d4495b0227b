// Who is who on WhatsApp. Since 2025 a person appears under two ids: a phone-number JID
// (…@s.whatsapp.net) and a privacy LID (…@lid). The adapter names every person by the
// phone-number JID whenever it is known, so one person is one sender (and one chat) no
// matter which form a message arrived with; the LID stands in only while no mapping exists.
import { areJidsSameUser, isLidUser, isPnUser, jidDecode, jidNormalizedUser } from "baileys";

export interface LidLookup {
  getPNForLID(lid: string): Promise<string | null>;
}

/** Our own account: its phone-number JID and LID, as the server told us at login. */
export interface SelfIdentity {
  pn: string | undefined;
  lid: string | undefined;
}

export function isSelf(jid: string | null | undefined, self: SelfIdentity): boolean {
  if (!jid) return false;
  return areJidsSameUser(jid, self.pn) || areJidsSameUser(jid, self.lid);
}

/** The number (or LID digits) a jid's "@…" mention is written with. */
export function jidUser(jid: string): string | undefined {
  return jidDecode(jid)?.user;
}

/**
 * The stable id of a user: `jid` itself when it is a phone-number JID, else the
 * phone-number JID from the message's alternate address (`remoteJidAlt` /
 * `participantAlt`) or from Baileys' LID store, else the LID.
 */
export async function canonicalUserJid(
  jid: string,
  alt: string | null | undefined,
  lids: LidLookup,
): Promise<string> {
  if (!isLidUser(jid)) return jidNormalizedUser(jid) || jid;
  if (alt && isPnUser(alt)) return jidNormalizedUser(alt);
  const pn = await lids.getPNForLID(jid).catch(() => null);
  return jidNormalizedUser(pn ?? jid) || jid;
}
