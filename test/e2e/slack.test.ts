// Slack end to end: the real service as a process, real Bolt (Socket Mode + Web API) inside
// it talking to the loopback Slack fake, and the fake model. Every assertion is on what the
// Slack fake received (posts, reactions, acks) or what the fake model was asked.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  echoResponder,
  HeldReplies,
  lastUserText,
  startAnthropicFake,
  type AnthropicFake,
  type RecordedRequest,
} from "../fakes/anthropic/server.ts";
import { startSlackFake, type SlackFake, type StoredMessage } from "../fakes/slack/server.ts";
import {
  api,
  channelState,
  listen,
  removeDir,
  sendChat,
  startService,
  tempDir,
  waitFor,
  type ChannelStateView,
  type Service,
} from "./harness.ts";

const BOT_TOKEN = "xoxb-e2e-fake-bot-token-0000";
const APP_TOKEN = "xapp-1-e2e-fake-app-token-0000";
const API_KEY = "sk-ant-e2e-slack-key-0000";
/** Slack's guidance for one message's text; longer ones are truncated or refused. */
const SLACK_MESSAGE_LIMIT = 4_000;
// A reply may need a Claude Code process to start first; reconnects take real back-off steps.
const REPLY_MS = 90_000;
const RECONNECT_MS = 30_000;

const OWNER_DM = "D0OWNER";
const PAIR_DM = "D0PAIR";
const LONG_DM = "D0LONG";
const DROP_DM = "D0DROP";
const RECONNECT_DM = "D0RECON";
const EDIT_DM = "D0EDIT";
const EDIT_ACK_DM = "D0EDITACK";
const REACT_DM = "D0REACT";
const RATE_DM = "D0RATE";
const TEAM = "C0TEAM";
const THREADS = "C0THREAD";
const EDITS = "C0EDIT";
const PARALLEL = "C0PARALLEL";
const RESTART = "C0RESTART";
const ALICE = "U0ALICE";
const BOB = "U0BOB";

/** Each DM has its own person on the other side, as in a real workspace. */
const DMS: Record<string, string> = {
  [OWNER_DM]: "U0OWNER",
  [PAIR_DM]: "U0PAIR",
  [LONG_DM]: "U0LONG",
  [DROP_DM]: "U0DROP",
  [RECONNECT_DM]: "U0RECON",
  [EDIT_DM]: "U0EDIT",
  [EDIT_ACK_DM]: "U0EDITACK",
  [REACT_DM]: "U0REACT",
  [RATE_DM]: "U0RATE",
};

function modelEnv(model: AnthropicFake): Record<string, string> {
  return { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: model.url };
}

function slackEnv(slack: SlackFake, botToken = BOT_TOKEN): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: botToken,
    SLACK_APP_TOKEN: APP_TOKEN,
    SLACK_API_URL: slack.apiUrl,
    SLACK_FILES_URL: slack.filesUrl,
  };
}

function waitForSlackStatus(service: Service, status: string): Promise<ChannelStateView> {
  return waitFor(async () => {
    const state = await channelState(service, "slack");
    return state?.status === status ? state : undefined;
  }, `Slack status ${status}`);
}

/** A 10,000-character answer: bold prose around a long TypeScript block with <, > and &. */
function longMarkdown(): string {
  const code = Array.from(
    { length: 120 },
    (_, i) => `  const line${String(i).padStart(3, "0")} = "value ${i}"; // keep <this> & that`,
  ).join("\n");
  let text = `Here is the **important** summary.\n\n\`\`\`ts\n${code}\n\`\`\`\n`;
  for (let i = 0; text.length < 9_970; i++) {
    text += `\nParagraph ${i} has **bold ${i}** words and keeps going for a while to fill space.\n`;
  }
  return `${text}\nEND-OF-LONG-REPLY`;
}

describe("Slack end to end", () => {
  // One service for the cases below (a start costs seconds). node:test runs them in the order
  // written; each uses chats of its own, so none relies on what an earlier one left behind.
  const dataDir = tempDir();
  let model: AnthropicFake;
  let slack: SlackFake;
  let service: Service;
  let env: Record<string, string> = {};
  const held = new HeldReplies();
  const longReply = longMarkdown();

  const botMessages = (chat: string): StoredMessage[] =>
    slack.messages(chat).filter((m) => m.user === slack.botUserId);
  const replyContaining = (chat: string, text: string): Promise<StoredMessage> =>
    waitFor(
      () => botMessages(chat).find((m) => m.text.includes(text)),
      `a reply in ${chat} containing "${text}"`,
      REPLY_MS,
    );
  const promptsWith = (text: string): RecordedRequest[] =>
    model.mainRequests().filter((r) => lastUserText(r.body).includes(text));
  const reactionsOn = (chat: string, ts: string): string[] =>
    slack.messages(chat).find((m) => m.ts === ts)?.reactions ?? [];
  const waitForDone = (chat: string, ts: string): Promise<true> =>
    waitFor(
      () => reactionsOn(chat, ts).includes("white_check_mark") || undefined,
      `the ✅ reaction on ${chat}/${ts}`,
      REPLY_MS,
    );
  const acked = (ts: string): Promise<unknown> =>
    slack.waitForEnvelope((e) => e.event.ts === ts && e.acked, RECONNECT_MS);
  const ackedEdit = (chat: string): Promise<unknown> =>
    slack.waitForEnvelope(
      (e) => e.event.subtype === "message_changed" && e.event.channel === chat && e.acked,
      RECONNECT_MS,
    );

  before(async () => {
    model = await startAnthropicFake((request, context) => {
      const text = lastUserText(request);
      if (context.main && text.includes("LONG-REPLY-PLEASE")) return { text: longReply };
      const until = context.main ? held.take(text) : undefined;
      if (until) return { text: `echo: ${text}`, until };
      return echoResponder(request, context);
    });
    slack = await startSlackFake({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
    for (const [dm, user] of Object.entries(DMS)) {
      const name = user.slice(2).toLowerCase();
      slack.addUser({ id: user, name, real_name: `${name} person`, display_name: name });
      slack.addChannel({ id: dm, name: "", is_im: true, user });
    }
    slack.addUser({ id: ALICE, name: "alice", real_name: "Alice Liddell", display_name: "alice" });
    slack.addUser({ id: BOB, name: "bob", real_name: "Bob Builder", display_name: "bob" });
    for (const [id, name] of [
      [TEAM, "team"],
      [THREADS, "threads"],
      [EDITS, "edits"],
      [PARALLEL, "parallel"],
      [RESTART, "restart"],
    ] as const) {
      slack.addChannel({ id, name });
    }

    env = { ...modelEnv(model), ...slackEnv(slack), MAIN_CHAT: `slack:${OWNER_DM}` };
    service = await startService({ dataDir, env });
    await waitForSlackStatus(service, "connected");
    // The adapter lists the conversations it is in on connect, so they can be registered.
    const wanted = [
      ...Object.keys(DMS).filter((dm) => dm !== OWNER_DM && dm !== PAIR_DM),
      TEAM,
      THREADS,
      EDITS,
      PARALLEL,
      RESTART,
    ];
    await waitFor(async () => {
      const { discovered } = (await (await api(service, "/api/groups")).json()) as {
        discovered: { channel: string; chatId: string }[];
      };
      const seen = new Set(discovered.map((c) => `${c.channel}:${c.chatId}`));
      return wanted.every((id) => seen.has(`slack:${id}`)) || undefined;
    }, "discovery of the Slack conversations");
    for (const chat of wanted) {
      const requiresTrigger = chat.startsWith("C");
      const response = await api(service, "/api/groups", {
        method: "POST",
        body: JSON.stringify({ chat: `slack:${chat}`, requiresTrigger }),
      });
      assert.equal(response.status, 201, await response.text());
    }
  });

  after(async () => {
    held.releaseAll();
    await service?.stop();
    await slack?.close();
    await model?.close();
    removeDir(dataDir);
  });

  it("answers the owner's direct message in the MAIN_CHAT conversation", async () => {
    const ts = slack.injectMessage({
      channel: OWNER_DM,
      user: DMS[OWNER_DM]!,
      text: "hello from the owner",
    });
    const reply = await replyContaining(OWNER_DM, "hello from the owner");
    assert.match(reply.text, /^echo: /);
    assert.equal(reply.thread_ts, undefined, "a top-level DM is answered at top level");
    assert.match(lastUserText(promptsWith("hello from the owner")[0]!.body), /from="owner"/);
    await waitForDone(OWNER_DM, ts);
  });

  it("pairs a DM as a main chat with /pair and then answers it", async () => {
    const status = (await (await api(service, "/api/status")).json()) as { pairingCode: string };
    const user = DMS[PAIR_DM]!;
    await acked(slack.injectMessage({ channel: PAIR_DM, user, text: "/pair WRONGCODE" }));
    slack.injectMessage({ channel: PAIR_DM, user, text: `/pair ${status.pairingCode}` });
    await replyContaining(PAIR_DM, "Paired: this chat is now your main chat");
    const { groups } = (await (await api(service, "/api/groups")).json()) as {
      groups: { chatId: string; isMain: boolean }[];
    };
    assert.equal(groups.find((g) => g.chatId === PAIR_DM)?.isMain, true);

    slack.injectMessage({ channel: PAIR_DM, user, text: "PAIRED-HELLO" });
    await replyContaining(PAIR_DM, "PAIRED-HELLO");
    assert.deepEqual(
      botMessages(PAIR_DM).map((m) => m.text.split(":")[0]),
      ["Paired", "echo"],
      "the wrong code got no answer",
    );
    assert.equal(promptsWith("/pair").length, 0, "pairing never reaches the model");
  });

  it("keeps untriggered channel messages as context and answers a typed @Andy", async () => {
    const context = slack.injectMessage({
      channel: TEAM,
      user: BOB,
      text: "the password is swordfish",
    });
    await acked(context);
    slack.injectMessage({ channel: TEAM, user: ALICE, text: "@Andy what is the password?" });
    const reply = await replyContaining(TEAM, "what is the password?");
    assert.equal(botMessages(TEAM).length, 1, "one reply, none for the untriggered message");
    const prompts = promptsWith("swordfish");
    assert.equal(prompts.length, 1, "the untriggered message alone started no model call");
    const prompt = lastUserText(prompts[0]!.body);
    assert.match(prompt, /<message from="bob"[^>]*>the password is swordfish<\/message>/);
    assert.match(prompt, /<message from="alice"[^>]*>@Andy what is the password\?<\/message>/);
    assert.match(reply.text, /swordfish/);
    assert.deepEqual(reactionsOn(TEAM, context), [], "no acknowledgement without a trigger");
  });

  it("answers a real mention inside a thread in that thread, and a top-level one at top level", async () => {
    const parent = slack.injectMessage({ channel: THREADS, user: BOB, text: "planning thread" });
    await acked(parent);
    slack.injectMessage({
      channel: THREADS,
      user: ALICE,
      text: `<@${slack.botUserId}> THREAD-QUESTION`,
      thread_ts: parent,
    });
    const threaded = await replyContaining(THREADS, "THREAD-QUESTION");
    assert.equal(threaded.thread_ts, parent);
    assert.match(lastUserText(promptsWith("THREAD-QUESTION")[0]!.body), /@Andy THREAD-QUESTION/);
    assert.equal(promptsWith("THREAD-QUESTION").length, 1, "message + app_mention count once");

    slack.injectMessage({ channel: THREADS, user: ALICE, text: "@Andy TOP-LEVEL-QUESTION" });
    const top = await replyContaining(THREADS, "TOP-LEVEL-QUESTION");
    assert.equal(top.thread_ts, undefined);
  });

  it("answers each thread in its own thread when questions from two threads overlap", async () => {
    const releaseA = held.hold("SLOW-THREAD-A");
    const a = slack.injectMessage({ channel: PARALLEL, user: BOB, text: "thread A" });
    const b = slack.injectMessage({ channel: PARALLEL, user: BOB, text: "thread B" });
    await acked(a);
    await acked(b);
    slack.injectMessage({
      channel: PARALLEL,
      user: ALICE,
      text: "@Andy SLOW-THREAD-A",
      thread_ts: a,
    });
    await waitFor(() => promptsWith("SLOW-THREAD-A")[0], "the slow model call", REPLY_MS);
    const questionB = slack.injectMessage({
      channel: PARALLEL,
      user: ALICE,
      text: "@Andy THREAD-B-QUESTION",
      thread_ts: b,
    });
    await acked(questionB);
    releaseA();
    const replyA = await replyContaining(PARALLEL, "SLOW-THREAD-A");
    const replyB = await replyContaining(PARALLEL, "THREAD-B-QUESTION");
    assert.equal(replyA.thread_ts, a, "the answer to thread A went into thread A");
    assert.equal(replyB.thread_ts, b, "the answer to thread B went into thread B");
  });

  it("after a restart mid-turn, answers in the thread and replaces 👀 with ✅", async () => {
    // Held until the service is killed; the restarted one's call is answered at once.
    held.hold("SLOW-RESTART");
    const parent = slack.injectMessage({ channel: RESTART, user: BOB, text: "restart thread" });
    await acked(parent);
    const ts = slack.injectMessage({
      channel: RESTART,
      user: ALICE,
      text: "@Andy SLOW-RESTART",
      thread_ts: parent,
    });
    await waitFor(() => promptsWith("SLOW-RESTART")[0], "the slow model call", REPLY_MS);
    await waitFor(() => reactionsOn(RESTART, ts).includes("eyes") || undefined, "👀");
    await service.kill();
    service = await startService({ dataDir, env });
    await waitForSlackStatus(service, "connected");
    const reply = await replyContaining(RESTART, "SLOW-RESTART");
    assert.equal(botMessages(RESTART).length, 1);
    assert.equal(reply.thread_ts, parent, "the recovered answer went into the thread");
    await waitForDone(RESTART, ts);
  });

  it("lets an edit made before the trigger change what the agent sees", async () => {
    const ts = slack.injectMessage({
      channel: EDITS,
      user: BOB,
      text: "the meeting is on Monday",
    });
    await acked(ts);
    slack.injectEdit({ channel: EDITS, ts, text: "the meeting is on Friday" });
    await slack.waitForEnvelope(
      (e) => e.event.subtype === "message_changed" && e.event.channel === EDITS && e.acked,
    );
    slack.injectMessage({ channel: EDITS, user: ALICE, text: "@Andy EDIT-QUESTION when?" });
    await replyContaining(EDITS, "EDIT-QUESTION");
    const prompt = lastUserText(promptsWith("EDIT-QUESTION")[0]!.body);
    assert.match(prompt, /<message from="bob"[^>]*edited="true">the meeting is on Friday</);
    assert.doesNotMatch(prompt, /Monday/);
  });

  it("feeds an edit made while the model is still answering to the agent as a follow-up", async () => {
    const release = held.hold("SLOW-EDIT");
    const ts = slack.injectMessage({
      channel: EDIT_DM,
      user: DMS[EDIT_DM]!,
      text: "SLOW-EDIT book a table for two",
    });
    await waitFor(() => promptsWith("SLOW-EDIT")[0], "the slow model call", REPLY_MS);
    slack.injectEdit({ channel: EDIT_DM, ts, text: "SLOW-EDIT book a table for four" });
    await ackedEdit(EDIT_DM);
    release();
    const followUp = await waitFor(
      () =>
        model
          .mainRequests()
          .map((r) => lastUserText(r.body))
          .find((text) => text.includes("edited their earlier message")),
      "the edit reaching the agent",
      REPLY_MS,
    );
    assert.match(
      followUp,
      /"SLOW-EDIT book a table for two" to:\) SLOW-EDIT book a table for four/,
    );
    await replyContaining(EDIT_DM, "table for four");
    assert.ok(botMessages(EDIT_DM).some((m) => m.text.includes("table for two")));
    await waitForDone(EDIT_DM, ts);
  });

  it("reacts only to real Slack messages when an edit arrives mid-turn", async () => {
    const release = held.hold("SLOW-ACK");
    const user = DMS[EDIT_ACK_DM]!;
    const ts = slack.injectMessage({ channel: EDIT_ACK_DM, user, text: "SLOW-ACK order pizza" });
    await waitFor(() => promptsWith("SLOW-ACK")[0], "the slow model call", REPLY_MS);
    slack.injectEdit({ channel: EDIT_ACK_DM, ts, text: "SLOW-ACK order pasta" });
    await ackedEdit(EDIT_ACK_DM);
    release();
    await replyContaining(EDIT_ACK_DM, "order pasta");
    await waitForDone(EDIT_ACK_DM, ts);
    const targets = slack.calls
      .filter((c) => c.method.startsWith("reactions.") && c.params.channel === EDIT_ACK_DM)
      .map((c) => String(c.params.timestamp));
    assert.deepEqual([...new Set(targets)], [ts], "reactions go to the edited Slack message");
  });

  it("splits a 10,000-character reply under Slack's limit, rendered as mrkdwn", async () => {
    assert.ok(longReply.length >= 10_000);
    slack.injectMessage({ channel: LONG_DM, user: DMS[LONG_DM]!, text: "LONG-REPLY-PLEASE" });
    await replyContaining(LONG_DM, "END-OF-LONG-REPLY");
    const chunks = botMessages(LONG_DM).map((m) => m.text);
    assert.ok(chunks.length >= 3, `expected at least 3 messages, got ${chunks.length}`);
    const codeLines: { chunk: number; line: string }[] = [];
    chunks.forEach((chunk, index) => {
      assert.ok(chunk.length <= SLACK_MESSAGE_LIMIT, `message ${index}: ${chunk.length} chars`);
      assert.doesNotMatch(chunk, /\*\*|```ts/, "Markdown bold and the language tag are gone");
      let inCode = false;
      for (const line of chunk.split("\n")) {
        if (line === "```") inCode = !inCode;
        else if (/const line\d{3}/.test(line)) {
          assert.ok(inCode, `code outside a code block in message ${index}: ${line}`);
          codeLines.push({ chunk: index, line });
        }
      }
      assert.equal(inCode, false, `message ${index} leaves a code block open`);
    });
    assert.deepEqual(
      codeLines.map((c) => c.line),
      Array.from(
        { length: 120 },
        (_, i) =>
          `  const line${String(i).padStart(3, "0")} = "value ${i}"; // keep &lt;this&gt; &amp; that`,
      ),
      "every code line arrives once, in order, escaped and with its indentation",
    );
    assert.ok(new Set(codeLines.map((c) => c.chunk)).size >= 2, "the code block spans messages");
    const all = chunks.join("\n");
    assert.match(chunks[0]!, /^Here is the \*important\* summary\./);
    assert.match(all, /Paragraph 7 has \*bold 7\* words/);
    assert.ok(chunks.at(-1)!.endsWith("END-OF-LONG-REPLY"));
  });

  it("delivers the reply to a message whose model call outlived a dropped connection", async () => {
    const release = held.hold("DROP-FIRST");
    const connections = slack.connectionCount;
    const user = DMS[DROP_DM]!;
    const first = slack.injectMessage({ channel: DROP_DM, user, text: "DROP-FIRST question" });
    await waitFor(() => promptsWith("DROP-FIRST")[0], "the slow model call", REPLY_MS);
    slack.dropConnections();
    const away = slack.injectMessage({ channel: DROP_DM, user, text: "DROP-WHILE-AWAY" });
    await slack.waitForConnections(connections + 1, RECONNECT_MS);
    await waitForSlackStatus(service, "connected");
    release();
    await replyContaining(DROP_DM, "DROP-FIRST question");
    await replyContaining(DROP_DM, "DROP-WHILE-AWAY");
    await acked(away);
    await waitForDone(DROP_DM, first);
    assert.equal(botMessages(DROP_DM).filter((m) => m.text.includes("DROP-FIRST")).length, 1);
    assert.equal(botMessages(DROP_DM).filter((m) => m.text.includes("DROP-WHILE-AWAY")).length, 1);
  });

  it("answers exactly once a message that arrived during five reconnects", async () => {
    const start = slack.connectionCount;
    let ts = "";
    for (let i = 1; i <= 5; i++) {
      slack.dropConnections();
      // Sent into a dying connection, it is redelivered to later ones until acked.
      if (i === 3)
        ts = slack.injectMessage({
          channel: RECONNECT_DM,
          user: DMS[RECONNECT_DM]!,
          text: "RECONNECT-STORM hello",
        });
      await slack.waitForConnections(start + i, RECONNECT_MS);
      await slack.waitForOpenConnections(1, RECONNECT_MS);
    }
    await waitForSlackStatus(service, "connected");
    await replyContaining(RECONNECT_DM, "RECONNECT-STORM");
    await slack.waitForEnvelope(
      (e) => e.event.ts === ts && e.event.type === "message" && e.acked,
      RECONNECT_MS,
    );
    await waitForDone(RECONNECT_DM, ts);
    assert.equal(botMessages(RECONNECT_DM).length, 1, "exactly one reply");
    assert.equal(promptsWith("RECONNECT-STORM").length, 1, "the model was asked once");
  });

  it("acknowledges with 👀 and replaces it with ✅ when the turn is done", async () => {
    const ts = slack.injectMessage({ channel: REACT_DM, user: DMS[REACT_DM]!, text: "REACT-ME" });
    await replyContaining(REACT_DM, "REACT-ME");
    await waitForDone(REACT_DM, ts);
    assert.deepEqual(reactionsOn(REACT_DM, ts), ["white_check_mark"]);
    const reactionCalls = slack.calls
      .filter((c) => c.method.startsWith("reactions.") && c.params.timestamp === ts)
      .map((c) => `${c.method} ${String(c.params.name)}`);
    assert.deepEqual(reactionCalls, [
      "reactions.add eyes",
      "reactions.remove eyes",
      "reactions.add white_check_mark",
    ]);
  });

  it("retries a send that Slack rate-limited and delivers it once", async () => {
    // What is checked is the outbox's own retry of a send: with a live preview, the preview's
    // first post would take the 429 instead (live-replies tests cover that path).
    const { groups } = (await (await api(service, "/api/groups")).json()) as {
      groups: { folder: string; chatId: string }[];
    };
    const folder = groups.find((group) => group.chatId === RATE_DM)!.folder;
    await api(service, `/api/groups/${folder}`, {
      method: "PATCH",
      body: JSON.stringify({ streaming: false }),
    });
    slack.failNext("chat.postMessage", { retryAfter: 1 });
    const ts = slack.injectMessage({ channel: RATE_DM, user: DMS[RATE_DM]!, text: "RATE-LIMITED" });
    await replyContaining(RATE_DM, "RATE-LIMITED");
    await waitForDone(RATE_DM, ts);
    const posts = slack.calls.filter(
      (c) => c.method === "chat.postMessage" && c.params.channel === RATE_DM,
    );
    assert.equal(posts.length, 2, "one refused with 429, one accepted");
    assert.equal(botMessages(RATE_DM).length, 1);
    const outboxRows = () => {
      const db = new DatabaseSync(join(dataDir, "store/pincer.db"), { readOnly: true });
      const found = db
        .prepare("SELECT status, attempts FROM outbox WHERE chat_id = ?")
        .all(RATE_DM) as { status: string; attempts: number }[];
      db.close();
      return found;
    };
    // The reply is visible a moment before the service has recorded it as sent.
    const rows = await waitFor(
      () => (outboxRows().every((r) => r.status !== "pending") ? outboxRows() : undefined),
      "the reply's outbox row to be settled",
    );
    assert.deepEqual(
      rows.map((r) => [r.status, r.attempts]),
      [["sent", 2]],
    );
    const retry = service
      .output()
      .split("\n")
      .filter((line) => line.includes("send failed; will retry"))
      .map((line) => JSON.parse(line) as { err: string; retryInMs: number })
      .find((entry) => /rate-limit/.test(entry.err));
    assert.ok(retry, "the 429 was logged as a retry");
    assert.ok(retry.retryInMs >= 1_000, "Retry-After was honoured");
  });
});

describe("Slack configuration", () => {
  let model: AnthropicFake;
  let slack: SlackFake;
  const dirs: string[] = [];
  let service: Service | undefined;

  before(async () => {
    model = await startAnthropicFake();
    slack = await startSlackFake({ botToken: BOT_TOKEN, appToken: APP_TOKEN });
  });
  after(async () => {
    await service?.stop();
    await slack.close();
    await model.close();
    for (const dir of dirs) removeDir(dir);
  });

  async function start(env: Record<string, string>): Promise<Service> {
    await service?.stop();
    const dataDir = tempDir();
    dirs.push(dataDir);
    service = await startService({ dataDir, env });
    return service;
  }

  it("shows Slack as not_configured, naming the variables, when a token is missing", async () => {
    const running = await start({ SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: slack.apiUrl });
    const state = await channelState(running, "slack");
    assert.equal(state?.status, "not_configured");
    assert.match(state?.detail ?? "", /SLACK_BOT_TOKEN and SLACK_APP_TOKEN/);
    const status = (await (await api(running, "/api/status")).json()) as { warnings: string[] };
    assert.ok(status.warnings.some((w) => /SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN/.test(w)));
    assert.equal(slack.calls.length, 0, "nothing was sent to Slack");
  });

  it("reports a rejected bot token as auth_failed while the web chat keeps answering", async () => {
    const running = await start({ ...modelEnv(model), ...slackEnv(slack, "xoxb-revoked-0000") });
    const state = await waitForSlackStatus(running, "auth_failed");
    assert.match(state.detail ?? "", /SLACK_BOT_TOKEN.*invalid_auth/);
    assert.equal((await fetch(`${running.url}/readyz`)).status, 200);
    assert.equal(slack.calls.filter((c) => c.method === "apps.connections.open").length, 0);

    const sse = listen(running);
    await sse.ready;
    await sendChat(running, "web chat still works");
    const reply = await waitFor(() => sse.messages()[0], "the web chat reply", REPLY_MS);
    assert.match(reply.text, /web chat still works/);
    await sse.close();
    assert.equal((await channelState(running, "slack"))?.status, "auth_failed");
  });
});
