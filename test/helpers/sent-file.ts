// A file the web chat's agent sent, as the store and the outbound files folder hold it: its
// message, its row and copy, and its outbox row in `status`, all dated `at`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "../../src/store/db.ts";
import { insertOutbound } from "../../src/store/messages.ts";
import { insertOutboundFile } from "../../src/store/outbound-files.ts";
import { enqueueDelivery, markFailed, markSent } from "../../src/store/outbox.ts";

export function storeSentFile(
  db: Db,
  filesDir: string,
  at: number,
  status: "pending" | "sent" | "failed",
): { messageId: number; outboxId: number; copy: string } {
  const messageId = insertOutbound(db, {
    channel: "web",
    chatId: "main",
    senderName: "Andy",
    text: "",
    timestamp: at,
  });
  const stored = `copy-${messageId}`;
  writeFileSync(join(filesDir, stored), "%PDF");
  insertOutboundFile(db, {
    messageId,
    name: "report.pdf",
    mimeType: "application/pdf",
    size: 4,
    stored,
  });
  const outboxId = enqueueDelivery(db, { messageId, channel: "web", chatId: "main" }, at);
  if (status === "sent") markSent(db, outboxId, at);
  if (status === "failed") markFailed(db, outboxId, "gone");
  return { messageId, outboxId, copy: join(filesDir, stored) };
}
