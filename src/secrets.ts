// Comparing secrets (tokens, pairing codes) without leaking them through timing.
import { createHash, timingSafeEqual } from "node:crypto";

/** Compares in time that depends on neither content nor length (both are hashed first). */
export function safeEqual(a: string, b: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text).digest();
  return timingSafeEqual(digest(a), digest(b)) && a === b;
}
