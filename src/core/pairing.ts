// One-time codes that make a messaging chat the owner's main chat: the owner sends
// "/pair CODE" to the bot in a direct message. A code works once, for ten minutes; then a
// new one is in force (the setup page and `pincer status` show the current one). Anyone can
// message the bot, so each sender gets a few wrong tries per code: guessing 40 bits five
// at a time every ten minutes goes nowhere, and a guesser cannot change the owner's code.
import { randomInt } from "node:crypto";
import { safeEqual } from "../secrets.ts";

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
export const PAIRING_CODE_LIFETIME_MS = 10 * 60_000;
const WRONG_TRIES_PER_SENDER = 5;

function newCode(): string {
  return Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
}

export class PairingCode {
  private readonly now: () => number;
  private current = "";
  private expires = 0;
  /** Wrong codes per sender since the current code was made. */
  private readonly wrong = new Map<string, number>();

  constructor(options: { now?: () => number } = {}) {
    this.now = options.now ?? Date.now;
  }

  /** The code in force now (a new one once the last expired or was used). */
  get code(): string {
    return this.fresh();
  }

  /** When the current code stops working, in milliseconds since the epoch. */
  get expiresAt(): number {
    this.fresh();
    return this.expires;
  }

  /**
   * True (and the code is used up) when `text` is "/pair <the current code>" and `sender`
   * (channel and platform user) has tries left.
   */
  accept(text: string, sender: string): boolean {
    const match = /^\s*\/pair\s+([A-Za-z0-9-]{4,32})\s*$/.exec(text);
    if (!match) return false;
    const code = this.fresh();
    const tries = this.wrong.get(sender) ?? 0;
    if (tries >= WRONG_TRIES_PER_SENDER) return false;
    if (!safeEqual(match[1]!.toUpperCase().replace(/-/g, ""), code)) {
      this.wrong.set(sender, tries + 1);
      return false;
    }
    this.renew();
    return true;
  }

  private fresh(): string {
    if (this.now() >= this.expires) this.renew();
    return this.current;
  }

  private renew(): void {
    this.current = newCode();
    this.expires = this.now() + PAIRING_CODE_LIFETIME_MS;
    this.wrong.clear();
  }
}
