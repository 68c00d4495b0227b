// Group metadata fetched once per group and kept: its subject names the chat, and Baileys
// reuses the whole record (via cachedGroupMetadata) instead of asking the server before
// every group send. Subject changes arrive as "groups.update" events and are applied here.
import type { GroupMetadata } from "baileys";
import type { Logger } from "../../log.ts";

export class GroupDirectory {
  private readonly fetch: (jid: string) => Promise<GroupMetadata>;
  private readonly log: Logger;
  private readonly known = new Map<string, GroupMetadata>();
  private readonly inFlight = new Map<string, Promise<GroupMetadata | undefined>>();

  constructor(fetch: (jid: string) => Promise<GroupMetadata>, log: Logger) {
    this.fetch = fetch;
    this.log = log;
  }

  cached(jid: string): GroupMetadata | undefined {
    return this.known.get(jid);
  }

  /** The group's metadata, fetched on first use; undefined while the server will not say. */
  async metadata(jid: string): Promise<GroupMetadata | undefined> {
    const known = this.known.get(jid);
    if (known) return known;
    let pending = this.inFlight.get(jid);
    if (!pending) {
      pending = this.fetch(jid)
        .then((metadata) => {
          this.known.set(jid, metadata);
          return metadata;
        })
        .catch((error: unknown) => {
          // Not remembered, so the next message from the group asks again.
          this.log.debug({ err: error, jid }, "whatsapp group metadata unavailable");
          return undefined;
        })
        .finally(() => this.inFlight.delete(jid));
      this.inFlight.set(jid, pending);
    }
    return pending;
  }

  update(change: Partial<GroupMetadata>): void {
    if (!change.id) return;
    const known = this.known.get(change.id);
    if (known) this.known.set(change.id, { ...known, ...change });
  }
}
