// The one HTTP server: health checks, the web chat page and the JSON API it and other
// clients use. Everything under /api/ needs the admin token (Bearer header or the session
// cookie that logging in sets).
import { Hono, type Context } from "hono";
import { getCookie, setCookie, deleteCookie } from "hono/cookie";
import { streamSSE } from "hono/streaming";
import { z } from "zod";
import type { Config } from "../config.ts";
import type { Db } from "../store/db.ts";
import { findInbound, history, latestMessageId } from "../store/messages.ts";
import { failedDeliveries, sentAfter } from "../store/outbox.ts";
import { usageSince } from "../store/usage.ts";
import type { Group } from "../store/groups.ts";
import type { OutboxItem } from "../store/outbox.ts";
import type { Orchestrator, GroupStatus } from "../core/orchestrator.ts";
import type { Delivery } from "../core/delivery.ts";
import { WEB_CHAT_ID, type WebChannel } from "../channels/web.ts";
import { safeEqual, sessionCookieValue } from "./admin-token.ts";
import { chatPage } from "./chat-page.ts";
import { limitBody } from "./body-limit.ts";
import { mountTaskRoutes } from "./tasks-api.ts";
import { mountGroupRoutes } from "./groups-api.ts";
import { readJsonBody } from "./json-body.ts";

export interface WebServerOptions {
  config: Config;
  db: Db;
  adminToken: string;
  mainGroup: Group;
  web: WebChannel;
  orchestrator: Orchestrator;
  delivery: Delivery;
  scheduler: { changed(): void };
  isReady(): boolean;
}

const COOKIE = "pincer_session";
const loginBody = z.object({ token: z.string().min(1).max(512) }).strict();

function problem(c: Context, status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 503, error: string) {
  return c.json({ error }, status);
}

export function createWebApp(options: WebServerOptions): Hono {
  const { config, db, adminToken, mainGroup, web, orchestrator, delivery } = options;
  const cookieValue = sessionCookieValue(adminToken);
  const app = new Hono();

  const authorized = (c: Context): boolean => {
    const header = c.req.header("authorization");
    if (header?.startsWith("Bearer ")) return safeEqual(header.slice(7).trim(), adminToken);
    const cookie = getCookie(c, COOKIE);
    return cookie !== undefined && safeEqual(cookie, cookieValue);
  };

  app.onError((error, c) => {
    return c.json({ error: `internal error: ${error.message}` }, 500);
  });

  app.get("/healthz", (c) => c.json({ ok: true }));

  app.get("/readyz", (c) => {
    const channels = Object.fromEntries(orchestrator.channelStates);
    const ready = options.isReady();
    return c.json(
      { ready, credential: config.credentialProblem ?? "ok", channels },
      ready ? 200 : 503,
    );
  });

  app.get("/", (c) =>
    c.html(
      chatPage({
        assistantName: config.ASSISTANT_NAME,
        credentialProblem: config.credentialProblem,
      }),
    ),
  );

  app.post("/api/login", limitBody(4096, "body too large"), async (c) => {
    const body = await readJsonBody(c, loginBody);
    if ("error" in body) return problem(c, body.status, body.error);
    if (!safeEqual(body.value.token, adminToken)) return problem(c, 401, "wrong admin token");
    setCookie(c, COOKIE, cookieValue, {
      httpOnly: true,
      sameSite: "Strict",
      secure:
        c.req.header("x-forwarded-proto") === "https" || new URL(c.req.url).protocol === "https:",
      path: "/",
      maxAge: 30 * 24 * 3600,
    });
    return c.json({ ok: true });
  });

  app.post("/api/logout", (c) => {
    deleteCookie(c, COOKIE, { path: "/" });
    return c.json({ ok: true });
  });

  app.use("/api/*", async (c, next) => {
    if (!authorized(c))
      return problem(c, 401, "missing or wrong admin token (Authorization: Bearer <ADMIN_TOKEN>)");
    await next();
  });

  app.get("/api/status", (c) =>
    c.json({
      assistantName: config.ASSISTANT_NAME,
      timezone: config.TZ,
      credential: config.credentialProblem ?? "ok",
      channels: Object.fromEntries(orchestrator.channelStates),
      agents: orchestrator.pool
        .sessions()
        .map(([groupId, session]) => ({ groupId, busy: session.busy, pid: session.pid })),
      warnings: config.warnings,
      pairingCode: orchestrator.pairing.code,
    }),
  );

  // Replies that could not be delivered after every retry: visible, never silently lost.
  app.get("/api/outbox/failed", (c) => c.json({ failed: failedDeliveries(db, 100) }));

  // Model tokens per group as the credential proxy counted them, since a given time.
  app.get("/api/usage", (c) => {
    const since = Number(c.req.query("since") ?? Date.now() - 24 * 3600 * 1000);
    if (!Number.isFinite(since))
      return problem(c, 400, "since: expected milliseconds since the epoch");
    return c.json({ since, groups: usageSince(db, since) });
  });

  const maxBytes = config.MAX_MESSAGE_CHARS * 4 + 1024;
  const messageBody = z
    .object({
      text: z
        .string()
        .trim()
        .min(1, "text is empty")
        .max(
          config.MAX_MESSAGE_CHARS,
          `text is longer than ${config.MAX_MESSAGE_CHARS} characters`,
        ),
    })
    .strict();

  app.post(
    "/api/chat/messages",
    limitBody(maxBytes, `message too large: the limit is ${config.MAX_MESSAGE_CHARS} characters`),
    async (c) => {
      const body = await readJsonBody(c, messageBody);
      if ("error" in body) return problem(c, body.status, body.error);
      const platformId = await web.submit(body.value.text, "Owner");
      const stored = findInbound(db, "web", WEB_CHAT_ID, platformId);
      return c.json({ id: stored?.id }, 202);
    },
  );

  app.get("/api/chat/messages", (c) => {
    const limit = Math.min(200, Math.max(1, Number(c.req.query("limit") ?? 50) || 50));
    const before = Number(c.req.query("before")) || undefined;
    const messages = history(db, "web", WEB_CHAT_ID, { beforeId: before, limit }).map((m) => ({
      id: m.id,
      direction: m.direction,
      sender: m.senderName,
      text: m.text,
      createdAt: m.timestamp,
    }));
    return c.json({ messages });
  });

  app.get("/api/chat/events", (c) => {
    const lastEventId = Number(c.req.header("last-event-id") ?? c.req.query("lastEventId") ?? NaN);
    return streamSSE(c, async (stream) => {
      // A new client gets only what comes next (history is GET /api/chat/messages); a
      // reconnecting one first gets what it missed.
      let sentThrough = Number.isFinite(lastEventId) ? lastEventId : latestMessageId(db);
      const queue: (() => Promise<void>)[] = [];
      let wake: (() => void) | undefined;
      const enqueue = (job: () => Promise<void>) => {
        queue.push(job);
        wake?.();
      };
      const sendMessages = async () => {
        const missed = sentAfter(db, "web", WEB_CHAT_ID, sentThrough);
        for (const message of missed) {
          await stream.writeSSE({
            event: "message",
            id: String(message.id),
            data: JSON.stringify(message),
          });
          sentThrough = message.id;
        }
      };
      const onDelivered = (item: OutboxItem) => {
        if (item.channel === "web") enqueue(sendMessages);
      };
      const onStatus = (groupId: number, status: GroupStatus) => {
        if (groupId !== mainGroup.id) return;
        enqueue(() => stream.writeSSE({ event: "status", data: JSON.stringify({ status }) }));
      };
      delivery.on("delivered", onDelivered);
      orchestrator.on("status", onStatus);
      stream.onAbort(() => {
        delivery.off("delivered", onDelivered);
        orchestrator.off("status", onStatus);
        wake?.();
      });
      const busy = orchestrator.pool.get(mainGroup.id)?.busy === true;
      await stream.writeSSE({
        event: "status",
        data: JSON.stringify({ status: busy ? "working" : "idle" }),
      });
      await sendMessages();
      const keepAlive = setInterval(
        () => enqueue(() => stream.write(": keep-alive\n\n").then(() => undefined)),
        25_000,
      );
      try {
        while (!stream.aborted && !stream.closed) {
          const job = queue.shift();
          if (job) {
            await job();
            continue;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        clearInterval(keepAlive);
      }
    });
  });

  mountTaskRoutes(app, { db, scheduler: options.scheduler });
  mountGroupRoutes(app, { db, assistantName: config.ASSISTANT_NAME });
  return app;
}
