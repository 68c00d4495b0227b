// The bot's reaction on a Discord message. Discord allows many reactions per user; the bot
// keeps one, replacing its previous one. Calls for one message run in order: a 👀 held up by
// a rate limit must land before the ✅ that replaces it reads what to remove, or both would
// stay. What the bot last put on a message is remembered for the latest messages only.
import { Routes, type REST } from "discord.js";
import { toSendError } from "./send-errors.ts";

const REMEMBERED_REACTIONS = 1_000;

export class OwnReactions {
  readonly #rest: () => REST;
  readonly #reactions = new Map<string, string>();
  readonly #reacting = new Map<string, Promise<void>>();

  /** `rest` is the connected client's REST (it throws while there is none). */
  constructor(rest: () => REST) {
    this.#rest = rest;
  }

  /** Puts `emoji` on the message in place of the bot's previous reaction; null removes it. */
  set(chatId: string, messageId: string, emoji: string | null): Promise<void> {
    const key = `${chatId}/${messageId}`;
    const earlier = this.#reacting.get(key) ?? Promise.resolve();
    const current = earlier
      .catch(() => undefined)
      .then(() => this.#replace(chatId, messageId, key, emoji));
    this.#reacting.set(key, current);
    const forget = (): void => {
      if (this.#reacting.get(key) === current) this.#reacting.delete(key);
    };
    current.then(forget, forget);
    return current;
  }

  async #replace(
    chatId: string,
    messageId: string,
    key: string,
    emoji: string | null,
  ): Promise<void> {
    const previous = this.#reactions.get(key) ?? null;
    if (previous === emoji) return;
    const rest = this.#rest();
    try {
      if (previous) {
        await rest.delete(
          Routes.channelMessageOwnReaction(chatId, messageId, encodeURIComponent(previous)),
        );
        this.#reactions.delete(key);
      }
      if (emoji) {
        await rest.put(
          Routes.channelMessageOwnReaction(chatId, messageId, encodeURIComponent(emoji)),
        );
        this.#reactions.set(key, emoji);
        if (this.#reactions.size > REMEMBERED_REACTIONS) {
          this.#reactions.delete(this.#reactions.keys().next().value as string);
        }
      }
    } catch (error) {
      throw toSendError(error);
    }
  }
}
