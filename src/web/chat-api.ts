// /api/chat: the web chat with the main group. Messages go in as JSON text or as a
// multipart voice recording; replies, the working state and the tools the agent calls
// come back over SSE, replayed from the store for a client that reconnects. While a reply
// is written its pieces come as `delta` events (not replayed: the final message is). Files
// the agent sent come with their messages as `attachments` and download from
// /api/chat/files/:id.
import { open } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { z } from "zod";
import type { Attachment } from "../channels/channel.ts";
import { isPlainImage } from "../channels/mime.ts";
import { WEB_CHAT_ID, type WebChannel } from "../channels/web.ts";
import type { ClosedQuestion, OpenQuestion } from "../core/questions.ts";
import type { CoreView } from "../core/status-port.ts";
import type { Delivery } from "../core/delivery.ts";
import type { Db } from "../store/db.ts";
import type { Group } from "../store/groups.ts";
import { findInbound, getMessage, history, latestMessageId } from "../store/messages.ts";
import { sentAfter, type OutboxItem } from "../store/outbox.ts";
import { getOutboundFile, outboundFilesOf } from "../store/outbound-files.ts";
import { limitBody } from "./body-limit.ts";
import { readJsonBody } from "./json-body.ts";
import type { LiveDelta } from "../core/live-replies.ts";
import { removedNote, sentFile, type SentFile } from "./sent-files.ts";
import { eventStream } from "./sse.ts";

export interface ChatApiDeps {
  db: Db;
  web: WebChannel;
  mainGroup: Group;
  orchestrator: CoreView;
  delivery: Delivery;
  maxMessageChars: number;
  maxAudioBytes: number;
  /** The host's copies of files the agent sent (data-layout's outboundFilesDir). */
  filesDir: string;
  /** ATTACHMENT_RETENTION_DAYS: how long those copies are kept, as a removed file says. */
  retentionDays: number;
}

/** Adds each web chat message's sent file (none for most) as `attachments`. */
function withFiles<T extends { id: number }>(
  db: Db,
  messages: T[],
  retentionDays: number,
): (T & { attachments: SentFile[] })[] {
  const files = outboundFilesOf(
    db,
    messages.map((m) => m.id),
  );
  return messages.map((m) => {
    const file = files.get(m.id);
    return { ...m, attachments: file ? [sentFile(file, "web", retentionDays)] : [] };
  });
}

/**
 * Content-Disposition with the name both as plain ASCII (quotes, backslashes and control
 * characters replaced) and RFC 5987-encoded for browsers that read the UTF-8 form.
 */
function disposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

const MAX_RECORDING_SECONDS = 3600;
const VOICE_FIELDS = new Set(["audio", "text", "durationSeconds"]);

function isMultipart(c: Context): boolean {
  return (c.req.header("content-type") ?? "").toLowerCase().startsWith("multipart/form-data");
}

type Parsed =
  { text: string; attachments?: Attachment[] } | { error: string; status: 400 | 413 | 415 };

function size(bytes: number): string {
  return bytes >= 1e6 ? `${Math.floor(bytes / 1e6)} MB` : `${Math.floor(bytes / 1e3)} KB`;
}

function tooLong(maxChars: number): string {
  return `Your message is longer than ${maxChars.toLocaleString("en")} characters: send it in parts.`;
}

function tooLarge(maxAudioBytes: number): string {
  return `recording too large: the limit is ${size(maxAudioBytes)}`;
}

async function readVoiceMessage(c: Context, deps: ChatApiDeps): Promise<Parsed> {
  const form = await c.req.formData().catch(() => undefined);
  if (!form) return { error: "body is not valid multipart/form-data", status: 400 };
  const unknown = [...new Set(form.keys())].filter((key) => !VOICE_FIELDS.has(key));
  if (unknown.length) return { error: `unknown field(s): ${unknown.join(", ")}`, status: 400 };
  const audio = form.get("audio");
  if (!(audio instanceof File)) return { error: "audio: expected a file", status: 400 };
  if (audio.size === 0) return { error: "audio: the recording is empty", status: 400 };
  if (audio.size > deps.maxAudioBytes) return { error: tooLarge(deps.maxAudioBytes), status: 413 };
  const mimeType = audio.type.split(";")[0]!.trim().toLowerCase();
  if (!/^(audio|video)\/[\w.+-]+$/.test(mimeType))
    return {
      error: `audio: expected an audio file, got "${audio.type || "no type"}"`,
      status: 415,
    };
  const text = form.get("text") ?? "";
  if (typeof text !== "string") return { error: "text: expected a string", status: 400 };
  if (text.length > deps.maxMessageChars)
    return { error: tooLong(deps.maxMessageChars), status: 400 };
  const rawDuration = form.get("durationSeconds");
  let durationSeconds: number | undefined;
  if (rawDuration !== null) {
    durationSeconds = typeof rawDuration === "string" ? Number(rawDuration) : NaN;
    if (!(durationSeconds >= 0 && durationSeconds <= MAX_RECORDING_SECONDS))
      return {
        error: `durationSeconds: expected seconds from 0 to ${MAX_RECORDING_SECONDS}`,
        status: 400,
      };
  }
  const bytes = new Uint8Array(await audio.arrayBuffer());
  const attachment: Attachment = {
    kind: "audio",
    voice: true,
    fileName: audio.name || "voice.webm",
    mimeType,
    size: bytes.byteLength,
    download: async () => bytes,
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
  };
  return { text: text.trim(), attachments: [attachment] };
}

export function chatRoutes(deps: ChatApiDeps) {
  const { db, web, mainGroup, orchestrator, delivery, maxMessageChars, retentionDays } = deps;
  const messageBody = z
    .object({
      text: z
        .string()
        .trim()
        .min(1, "Your message is empty: type something to send.")
        .max(maxMessageChars, tooLong(maxMessageChars)),
    })
    .strict();
  const choiceBody = z
    .object({ choiceId: z.string().min(1, "Pick one of the choices.").max(100) })
    .strict();
  const textLimit = limitBody(
    maxMessageChars * 4 + 1024,
    `Your message is too large: the limit is ${maxMessageChars.toLocaleString("en")} characters.`,
  );
  const voiceLimit = limitBody(
    deps.maxAudioBytes + maxMessageChars * 4 + 64 * 1024,
    tooLarge(deps.maxAudioBytes),
  );
  const sizeLimit: MiddlewareHandler = (c, next) =>
    isMultipart(c) ? voiceLimit(c, next) : textLimit(c, next);

  return new Hono()
    .post("/api/chat/messages", sizeLimit, async (c) => {
      let parsed: Parsed;
      if (isMultipart(c)) parsed = await readVoiceMessage(c, deps);
      else {
        // The page shows these to a person: sentences, not field names.
        const body = await readJsonBody(c, messageBody, { fields: false });
        parsed = "error" in body ? body : { text: body.value.text };
      }
      if ("error" in parsed) return c.json({ error: parsed.error }, parsed.status);
      const platformId = await web.submit(parsed.text, "Owner", parsed.attachments);
      const stored = findInbound(db, "web", WEB_CHAT_ID, platformId);
      return c.json({ id: stored?.id }, 202);
    })
    .post("/api/chat/stop", (c) => c.json({ stopped: orchestrator.stopTurn(mainGroup.id) }))
    .post("/api/chat/choices", textLimit, async (c) => {
      const body = await readJsonBody(c, choiceBody, { fields: false });
      if ("error" in body) return c.json({ error: body.error }, body.status);
      // Whether it still answered anything, the page learns from the questionClosed event.
      await web.choose(body.value.choiceId, "Owner");
      return c.json({ ok: true }, 202);
    })
    .get("/api/chat/messages", (c) => {
      const limit = Math.min(200, Math.max(1, Number(c.req.query("limit") ?? 50) || 50));
      const before = Number(c.req.query("before")) || undefined;
      const stored = history(db, "web", WEB_CHAT_ID, { beforeId: before, limit });
      const sent = outboundFilesOf(
        db,
        stored.map((m) => m.id),
      );
      const messages = stored.map((m) => {
        const file = sent.get(m.id);
        return {
          id: m.id,
          direction: m.direction,
          sender: m.senderName,
          text: m.text,
          createdAt: m.timestamp,
          // Inbound: what the owner attached; outbound: the file the agent sent.
          attachments: file
            ? [{ kind: "file", fileName: file.name, ...sentFile(file, "web", retentionDays) }]
            : (m.attachments ?? []).map((a) => ({ kind: a.kind, fileName: a.fileName })),
        };
      });
      return c.json({ messages });
    })
    .get("/api/chat/files/:id", async (c) => {
      const id = Number(c.req.param("id")) || 0;
      const file = getOutboundFile(db, id);
      if (!file) return c.json({ error: "No sent file has this id." }, 404);
      if (file.removedAt !== null) {
        const channel = getMessage(db, id)?.channel ?? "web";
        return c.json({ error: removedNote(file.name, channel, retentionDays) }, 410);
      }
      // The copy is the host's own (store/ is host only): opened by name like the database.
      const handle = await open(join(deps.filesDir, file.stored), "r").catch(() => undefined);
      if (!handle) return c.json({ error: `${file.name} is no longer kept.` }, 404);
      // Only plain images may show in the page; anything else (SVG, HTML included) is a
      // download of an opaque type, so the browser never renders what an agent wrote.
      const inline = isPlainImage(file.mimeType);
      c.header("Content-Type", inline ? file.mimeType : "application/octet-stream");
      c.header("Content-Disposition", disposition(inline ? "inline" : "attachment", file.name));
      c.header("X-Content-Type-Options", "nosniff");
      c.header("Content-Security-Policy", "default-src 'none'; sandbox");
      c.header("Content-Length", String(file.size));
      return c.body(Readable.toWeb(handle.createReadStream()) as ReadableStream);
    })
    .get("/api/chat/events", (c) => {
      const lastEventId = Number(
        c.req.header("last-event-id") ?? c.req.query("lastEventId") ?? NaN,
      );
      // A new client gets only what comes next (history is GET /api/chat/messages); a
      // reconnecting one first gets what it missed.
      let sentThrough = Number.isFinite(lastEventId) ? lastEventId : latestMessageId(db);
      return eventStream(c, (queue) => {
        const sendMessages = () =>
          queue.run(async (writer) => {
            const missed = sentAfter(db, "web", WEB_CHAT_ID, sentThrough);
            for (const message of withFiles(db, missed, retentionDays)) {
              await writer.write("message", message, message.id);
              sentThrough = message.id;
            }
          });
        const onDelivered = (item: OutboxItem) => {
          if (item.channel === "web") sendMessages();
        };
        const onStatus = (groupId: number, status: string) => {
          if (groupId === mainGroup.id) queue.send("status", { status });
        };
        const onActivity = (groupId: number, tool: string, line?: string) => {
          if (groupId === mainGroup.id) queue.send("activity", { tool, line: line ?? null });
        };
        const onDelta = (groupId: number, delta: LiveDelta) => {
          if (groupId === mainGroup.id) queue.send("delta", delta);
        };
        const onQuestion = (groupId: number, question: OpenQuestion) => {
          if (groupId === mainGroup.id) queue.send("question", question);
        };
        const onQuestionClosed = (groupId: number, question: ClosedQuestion) => {
          if (groupId === mainGroup.id) queue.send("questionClosed", question);
        };
        delivery.on("delivered", onDelivered);
        orchestrator.on("status", onStatus);
        orchestrator.on("activity", onActivity);
        orchestrator.on("delta", onDelta);
        orchestrator.on("question", onQuestion);
        orchestrator.on("questionClosed", onQuestionClosed);
        const busy = orchestrator.status.busy(mainGroup.id);
        queue.send("status", { status: busy ? "working" : "idle" });
        sendMessages();
        // A page that (re)connects while a question waits gets its buttons.
        const waiting = orchestrator.status.question(mainGroup.id);
        if (waiting) queue.send("question", waiting);
        return () => {
          delivery.off("delivered", onDelivered);
          orchestrator.off("status", onStatus);
          orchestrator.off("activity", onActivity);
          orchestrator.off("delta", onDelta);
          orchestrator.off("question", onQuestion);
          orchestrator.off("questionClosed", onQuestionClosed);
        };
      });
    });
}
