// Live replies end to end on Telegram and the web chat: the service as a process, the real
// Agent SDK and Claude Code CLI against a fake model that writes slowly (each piece of text
// waits for a hold the test lets go), and the Telegram fake recording every send and edit.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { Message } from "grammy/types";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import {
  isToolResultTurn,
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
  type FakeReply,
  type MessagesRequest,
} from "../fakes/anthropic/server.ts";
import {
  startTelegramFake,
  type InjectedUser,
  type RecordedCall,
  type TelegramFake,
} from "../fakes/telegram/server.ts";
import { deferred } from "../helpers/wait.ts";
import {
  api,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type Service,
} from "./harness.ts";

const API_KEY = "sk-ant-e2e-live-0000";
const OWNER: InjectedUser = { id: 2001, first_name: "Olivia", username: "olivia" };
/** Agent turns include a Claude Code process start; the machine may be slow. */
const REPLY_TIMEOUT = 90_000;

/** Holds the model's text between pieces: `open(i)` lets piece i go out. */
class Gates {
  readonly #gates = new Map<number, ReturnType<typeof deferred<void>>>();
  #get(index: number) {
    let gate = this.#gates.get(index);
    if (!gate) this.#gates.set(index, (gate = deferred()));
    return gate;
  }
  wait = (index: number): Promise<void> => this.#get(index).promise;
  open(index: number): void {
    this.#get(index).resolve();
  }
  openAll(): void {
    for (let index = 0; index < 100; index++) this.open(index);
  }
}

describe("live replies end to end", () => {
  const rules: { marker: string; reply: (request: MessagesRequest) => FakeReply }[] = [];
  const gates: Gates[] = [];
  const dataDir = tempDir();
  let model: AnthropicFake;
  let telegram: TelegramFake;
  let service: Service;

  const env = () => ({
    ANTHROPIC_API_KEY: API_KEY,
    ANTHROPIC_BASE_URL: model.url,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    MAIN_CHAT: `telegram:${OWNER.id}`,
  });

  async function connected(): Promise<void> {
    await waitFor(async () => {
      const ready = (await (await fetch(`${service.url}/readyz`)).json()) as {
        channels: Record<string, string>;
      };
      return ready.channels.telegram === "connected" || undefined;
    }, "telegram connected");
  }

  before(async () => {
    model = await startAnthropicFake((request, { main }) => {
      // A tool result's turn is matched by the chat message before it.
      const text = toolResultOnly(request)
        ? lastUserText({ ...request, messages: request.messages.slice(0, -1) })
        : lastUserText(request);
      // The CLI's side calls (titles) get a plain answer: only the conversation is scripted.
      if (!main) return { text: "ok" };
      const rule = rules.find((candidate) => text.includes(candidate.marker));
      return rule?.reply(request) ?? { text: `echo: ${text.slice(-40)}` };
    });
    telegram = await startTelegramFake({ botUsername: "pincer_live_bot" });
    service = await startService({ dataDir, env: env() });
    await connected();
  });
  after(async () => {
    for (const gate of gates) gate.openAll();
    await service?.stop();
    await telegram?.close();
    await model?.close();
    removeDir(dataDir);
  });

  /** A private chat of its own, registered as a group that needs no trigger. */
  async function registerChat(chatId: number): Promise<InjectedUser> {
    const user: InjectedUser = { id: chatId, first_name: `User${chatId}` };
    telegram.injectMessage({ chatId, from: user, text: "hello there" });
    await waitFor(async () => {
      const { discovered } = (await (await api(service, "/api/groups")).json()) as {
        discovered: { chatId: string }[];
      };
      return discovered.some((chat) => chat.chatId === `${chatId}`) || undefined;
    }, `chat ${chatId} discovered`);
    const response = await api(service, "/api/groups", {
      method: "POST",
      body: JSON.stringify({ chat: `telegram:${chatId}`, requiresTrigger: false }),
    });
    assert.equal(response.status, 201, await response.text());
    return user;
  }

  function botMessages(chatId: number): Message[] {
    return telegram.sent.filter((message) => message.chat.id === chatId);
  }

  function calls(method: string, chatId: number): RecordedCall[] {
    return telegram.calls.filter(
      (call) => call.method === method && Number(call.params.chat_id) === chatId,
    );
  }

  /** A slow reply for prompts with `marker`; the returned gates let its pieces go. */
  function slowReply(marker: string, pieces: string[]): Gates {
    const held = new Gates();
    gates.push(held);
    rules.push({ marker, reply: () => ({ slow: { pieces, before: held.wait } }) });
    return held;
  }

  function showing(chatId: number, text: string): Message | undefined {
    return botMessages(chatId).find((message) => (message.text ?? "").includes(text));
  }

  it("grows one preview message by edits, then it holds exactly the final text", async () => {
    const chatId = 3101;
    const user = await registerChat(chatId);
    const pieces = ["Crabs walk ", "sideways because ", "their legs bend ", "that way."];
    const held = slowReply("live-grow", pieces);
    telegram.injectMessage({ chatId, from: user, text: "why? live-grow" });
    for (let index = 1; index < pieces.length; index++) {
      const soFar = pieces.slice(0, index).join("").trim();
      await waitFor(() => showing(chatId, soFar), `the preview to show "${soFar}"`, REPLY_TIMEOUT);
      held.open(index);
    }
    const final = pieces.join("");
    await waitFor(
      () => botMessages(chatId).find((message) => message.text === final),
      "the final text",
      REPLY_TIMEOUT,
    );
    assert.deepEqual(
      botMessages(chatId).map((message) => message.text),
      [final],
      "one message in the chat, and it says exactly the final text",
    );
    const edits = calls("editMessageText", chatId).filter((call) => call.status === 200);
    assert.ok(edits.length >= 3, `the preview grew by edits (${edits.length})`);
    const texts = edits.map((call) => String(call.params.text));
    for (const [index, text] of texts.entries())
      if (index > 0) assert.ok(text.length >= texts[index - 1]!.length, "each edit grows it");
    assert.equal(calls("sendMessage", chatId).length, 1, "one message sent, the rest edits");
  });

  it("a group with streaming off gets one message at the end, never edited", async () => {
    const chatId = 3106;
    const user = await registerChat(chatId);
    const { groups } = (await (await api(service, "/api/groups")).json()) as {
      groups: { folder: string; chatId: string }[];
    };
    const folder = groups.find((group) => group.chatId === `${chatId}`)!.folder;
    const off = await api(service, `/api/groups/${folder}`, {
      method: "PATCH",
      body: JSON.stringify({ streaming: false }),
    });
    assert.equal(off.status, 200, await off.text());
    const pieces = ["Quiet ", "and ", "whole."];
    const held = slowReply("live-off", pieces);
    held.openAll();
    telegram.injectMessage({ chatId, from: user, text: "answer quietly live-off" });
    await waitFor(() => showing(chatId, "Quiet and whole."), "the answer", REPLY_TIMEOUT);
    assert.equal(calls("sendMessage", chatId).length, 1);
    assert.equal(calls("editMessageText", chatId).length, 0);
  });

  it("under a storm of 429s on edits, edits fewer times and ends on the same final text", async () => {
    const chatId = 3102;
    const user = await registerChat(chatId);
    const pieces = Array.from({ length: 12 }, (_, index) => `word${index} `);
    const held = slowReply("live-storm", pieces);
    for (let index = 0; index < 4; index++)
      telegram.failNext("editMessageText", {
        status: 429,
        error_code: 429,
        description: "Too Many Requests: retry after 1",
        retry_after: 1,
      });
    telegram.injectMessage({ chatId, from: user, text: "count! live-storm" });
    await waitFor(() => showing(chatId, "word0"), "the preview", REPLY_TIMEOUT);
    held.open(1);
    // Every piece is let go as soon as the preview's first edit is refused: they all pile up.
    await waitFor(
      () => calls("editMessageText", chatId).some((call) => call.status === 429) || undefined,
      "a refused edit",
      REPLY_TIMEOUT,
    );
    held.openAll();
    const final = pieces.join("").trim();
    await waitFor(
      () => botMessages(chatId).find((message) => message.text === final),
      "the final text",
      REPLY_TIMEOUT,
    );
    assert.deepEqual(
      botMessages(chatId).map((message) => message.text),
      [final],
    );
    const edits = calls("editMessageText", chatId);
    assert.ok(
      edits.length < pieces.length,
      `fewer edits (${edits.length}) than pieces of text (${pieces.length})`,
    );
    assert.ok(edits.filter((call) => call.status === 429).length >= 1);
  });

  it("/stop ends a turn the model would hold, replaces the preview with Stopped., once", async () => {
    const chatId = 3103;
    const user = await registerChat(chatId);
    // The second piece never comes unless the test lets it (only its cleanup does).
    slowReply("live-stop", ["Let me think about this for a long while ", "and more."]);
    telegram.injectMessage({ chatId, from: user, text: "think hard. live-stop" });
    await waitFor(() => showing(chatId, "Let me think"), "the preview", REPLY_TIMEOUT);
    telegram.injectMessage({ chatId, from: user, text: "/stop" });
    await waitFor(() => showing(chatId, "Stopped."), "Stopped.", REPLY_TIMEOUT);
    // The turn has ended (the group's agent is idle) while the model still holds its reply:
    // only the stop can have ended it.
    const { groups } = (await (await api(service, "/api/groups")).json()) as {
      groups: { id: number; chatId: string }[];
    };
    const groupId = groups.find((group) => group.chatId === `${chatId}`)?.id;
    await waitFor(async () => {
      const { agents } = (await (await api(service, "/api/status")).json()) as {
        agents: { groupId: number; busy: boolean }[];
      };
      return agents.some((agent) => agent.groupId === groupId && !agent.busy) || undefined;
    }, "the turn to end").catch((error: unknown) => {
      console.log(service.output().slice(-6000));
      throw error;
    });
    assert.deepEqual(
      botMessages(chatId).map((message) => message.text),
      ["Stopped."],
      "the preview became Stopped., said once",
    );
    assert.equal(
      model.mainRequests().filter((request) => lastUserText(request.body).includes("/stop")).length,
      0,
      "/stop never reached the agent",
    );
    // The chat goes on: the next message is answered in the same conversation.
    telegram.injectMessage({ chatId, from: user, text: "still there? live-after-stop" });
    await waitFor(
      () => showing(chatId, "live-after-stop"),
      "an answer after the stop",
      REPLY_TIMEOUT,
    );
    assert.equal(botMessages(chatId).filter((m) => m.text === "Stopped.").length, 1);
  });

  it("shows what the agent is doing while a tool runs, in the preview message", async () => {
    const chatId = 3105;
    const user = await registerChat(chatId);
    const release = deferred();
    gates.push({ openAll: () => release.resolve() } as Gates);
    rules.push({
      marker: "live-status",
      reply: (request) =>
        toolResultOnly(request)
          ? { text: "The host is named.", until: release.promise }
          : { toolUse: { name: "Read", input: { file_path: "/etc/hostname" } } },
    });
    telegram.injectMessage({ chatId, from: user, text: "what is the host? live-status" });
    await waitFor(() => showing(chatId, "reading hostname…"), "the status line", REPLY_TIMEOUT);
    release.resolve();
    await waitFor(() => showing(chatId, "The host is named."), "the answer", REPLY_TIMEOUT);
    assert.deepEqual(
      botMessages(chatId).map((message) => message.text),
      ["The host is named."],
      "the status line gave way to the answer, in the same message",
    );
  });

  it("web chat: the tool list is live, and Stop ends the turn with one Stopped.", async () => {
    rules.push({
      marker: "live-web-stop",
      // The tool's result turn is held for good: only Stop can end this turn.
      reply: (request) =>
        toolResultOnly(request)
          ? { text: "never sent", until: new Promise(() => undefined) }
          : { toolUse: { name: "Read", input: { file_path: "/etc/hostname" } } },
    });
    const stream = listen(service);
    await stream.ready;
    await sendChat(service, "host? live-web-stop");
    await waitFor(
      () =>
        stream.events.find(
          (event) =>
            event.event === "activity" &&
            (JSON.parse(event.data) as { line: string | null }).line === "reading hostname…",
        ),
      "the tool and its status line on the web page",
      REPLY_TIMEOUT,
    );
    const response = await api(service, "/api/chat/stop", { method: "POST" });
    assert.deepEqual(await response.json(), { stopped: true });
    await waitFor(
      () => stream.messages().find((message) => message.text === "Stopped."),
      "Stopped. in the web chat",
      REPLY_TIMEOUT,
    );
    await waitFor(
      () =>
        stream.events.find(
          (event) =>
            event.event === "status" &&
            (JSON.parse(event.data) as { status: string }).status === "idle",
        ),
      "the turn to end",
      REPLY_TIMEOUT,
    );
    await stream.close();
    assert.equal(stream.messages().filter((message) => message.text === "Stopped.").length, 1);
    assert.ok(!stream.messages().some((message) => message.text === "never sent"));
  });

  it("web chat: delta events come before the final message and add up to it", async () => {
    const pieces = ["The tide ", "comes in ", "twice a day."];
    const held = slowReply("live-web", pieces);
    const stream = listen(service);
    await stream.ready;
    await sendChat(service, "tides? live-web");
    const deltas = () => stream.events.filter((event) => event.event === "delta");
    for (let index = 1; index < pieces.length; index++) {
      await waitFor(() => deltas().length >= index || undefined, `delta ${index}`, REPLY_TIMEOUT);
      held.open(index);
    }
    const final = pieces.join("").trim();
    await waitFor(
      () => stream.messages().find((message) => message.text === final),
      "the final message",
      REPLY_TIMEOUT,
    );
    await waitFor(
      () =>
        stream.events.findLast((event) => event.event === "status")?.data.includes('"idle"') ||
        undefined,
      "the turn to end",
    );
    const stopped = await api(service, "/api/chat/stop", { method: "POST" });
    assert.deepEqual(await stopped.json(), { stopped: false }, "nothing runs once it is answered");
    await stream.close();
    const firstMessage = stream.events.findIndex((event) => event.event === "message");
    const before = stream.events.slice(0, firstMessage).filter((event) => event.event === "delta");
    assert.ok(before.length >= pieces.length, "every piece came as a delta before the message");
    const joined = before
      .map((event) => JSON.parse(event.data) as { text?: string; reset?: string })
      .reduce((text, delta) => (delta.reset !== undefined ? delta.reset : text + delta.text), "");
    assert.equal(joined, final);
  });

  it("kill -9 mid-stream, then restart: the stale preview goes, one final answer", async () => {
    const chatId = 3104;
    const user = await registerChat(chatId);
    const pieces = ["Half an answer ", "and more of it ", "and the rest."];
    // The first turn stops after its first piece and the service dies; the turn the restart
    // runs writes the whole text at once.
    const held = new Gates();
    gates.push(held);
    let calls = 0;
    rules.push({
      marker: "live-crash",
      reply: () =>
        ++calls === 1
          ? { slow: { pieces, before: held.wait } }
          : { text: "The whole answer, after the restart." },
    });
    telegram.injectMessage({ chatId, from: user, text: "go! live-crash" });
    await waitFor(() => showing(chatId, "Half an answer"), "the preview", REPLY_TIMEOUT);
    held.open(1);
    // Edited once: the service has kept the preview's id (the one moment it could not is
    // between the platform's answer to the first send and that write; see the architecture).
    const preview = await waitFor(
      () => showing(chatId, "and more of it"),
      "the preview's first edit",
      REPLY_TIMEOUT,
    );
    await service.kill();
    held.openAll();
    assert.equal(previewRows(dataDir, chatId), 1, "the preview's row was kept before the crash");
    service = await startService({ dataDir, env: env() });
    await connected();
    await waitFor(
      () => showing(chatId, "The whole answer, after the restart."),
      "the answer after the restart",
      REPLY_TIMEOUT,
    );
    await waitFor(
      () => !botMessages(chatId).some((m) => m.message_id === preview.message_id) || undefined,
      "the stale preview to be deleted",
    );
    await waitFor(
      () => previewRows(dataDir, chatId) === 0 || undefined,
      "no preview left in the store",
    );
    assert.deepEqual(
      botMessages(chatId).map((message) => message.text),
      ["The whole answer, after the restart."],
      "exactly one answer, and no preview left behind",
    );
  });
});

/** A model call that carries a tool's result and no new chat message. */
function toolResultOnly(request: MessagesRequest): boolean {
  return isToolResultTurn(request) && lastUserText(request) === "";
}

function previewRows(dataDir: string, chatId: number): number {
  const db = new DatabaseSync(join(dataDir, "store/pincer.db"), { readOnly: true });
  try {
    const row = db.prepare("SELECT COUNT(*) AS n FROM previews WHERE chat_id = ?").get(`${chatId}`);
    return (row as { n: number }).n;
  } finally {
    db.close();
  }
}
