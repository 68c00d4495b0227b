// One-time codes that make a messaging chat the owner's main chat: the owner sends
// "/pair CODE" to the bot in a direct message. A code works once and is then replaced.
import { randomInt } from "node:crypto";
import { safeEqual } from "../web/admin-token.ts";

const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

function newCode(): string {
  return Array.from({ length: 8 }, () => ALPHABET[randomInt(ALPHABET.length)]).join("");
}

export class PairingCode {
  private current = newCode();

  get code(): string {
    return this.current;
  }

  /** True (and the code is used up) when `text` is "/pair <the current code>". */
  accept(text: string): boolean {
    const match = /^\s*\/pair\s+([A-Za-z0-9-]{4,32})\s*$/.exec(text);
    if (!match || !safeEqual(match[1]!.toUpperCase().replace(/-/g, ""), this.current)) return false;
    this.current = newCode();
    return true;
  }
}
