// pincer chat with piped input against a fake API whose event stream the test scripts: it
// ends after the reply to the last line, not at a stale "idle" and not before the reply
// is in; replies still being delivered come from the history.
import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cli, json, startFakeApi, TOKEN, type FakeApi } from "./fake-api.ts";

interface Stored {
  id: number;
  direction: "in" | "out";
  text: string;
  createdAt: number;
}

describe("pincer chat", () => {
  let api: FakeApi;
  let history: Stored[];
  /** What the fake "agent" does after a message is accepted. */
  let turn: (text: string, id: number) => void;

  const reply = (text: string, options: { deliver?: boolean } = {}) => {
    const message = { id: history.length + 1, direction: "out" as const, text, createdAt: 1 };
    history.push(message);
    if (options.deliver !== false)
      api.emit("message", { id: message.id, text, createdAt: 1 }, message.id);
  };
  const env = () => ({ PINCER_URL: api.url, PINCER_TOKEN: TOKEN });

  beforeEach(async () => {
    history = [];
    api = await startFakeApi();
    api.routes.set("GET /api/status", (_req, res) => json(res, 200, { assistantName: "Andy" }));
    api.routes.set("GET /api/chat/messages", (_req, res) => json(res, 200, { messages: history }));
    api.routes.set("POST /api/chat/messages", (_req, res, body) => {
      const { text } = JSON.parse(body) as { text: string };
      if (text.length > 20) return json(res, 400, { error: "text is longer than 20 characters" });
      const id = history.length + 1;
      history.push({ id, direction: "in", text, createdAt: 1 });
      json(res, 202, { id });
      setImmediate(() => turn(text, id));
    });
  });
  afterEach(() => api.close());

  it("prints the reply to a piped line and exits, ignoring an idle from before the turn", async () => {
    turn = (text) => {
      api.emit("status", { status: "idle" });
      api.emit("status", { status: "working" });
      reply(`echo: ${text}`);
      api.emit("status", { status: "idle" });
    };
    const run = await cli(["chat"], { env: env(), stdin: "hello there\n" });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "echo: hello there\n");
    assert.deepEqual(
      api.requests.filter((r) => r.method === "POST").map((r) => JSON.parse(r.body)),
      [{ text: "hello there" }],
    );
  });

  it("waits for the reply to the last of several lines", async () => {
    turn = (text) => {
      api.emit("status", { status: "working" });
      reply(`echo: ${text}`);
      api.emit("status", { status: "idle" });
    };
    const run = await cli(["chat"], { env: env(), stdin: "one\n\ntwo\nthree\n" });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "echo: one\necho: two\necho: three\n");
  });

  it("does not stop at a reply while the agent is still working, and picks up undelivered ones", async () => {
    turn = () => {
      api.emit("status", { status: "working" });
      reply("part one");
      reply("part two");
      reply("part three", { deliver: false });
      api.emit("status", { status: "idle" });
    };
    const run = await cli(["chat"], { env: env(), stdin: "tell me a long story\n" });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "part one\npart two\npart three\n");
  });

  it("--json prints each event as one JSON line", async () => {
    turn = (text) => {
      api.emit("status", { status: "working" });
      reply(`echo: ${text}`);
      api.emit("status", { status: "idle" });
    };
    const run = await cli(["chat", "--json"], { env: env(), stdin: "hi" });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(lines.at(0), { event: "status", status: "working" });
    assert.deepEqual(
      lines.filter((line) => line.event === "message"),
      [{ event: "message", id: 2, text: "echo: hi", createdAt: 1 }],
    );
    assert.deepEqual(lines.at(-1), { event: "status", status: "idle" });
  });

  it("reports a line the service refused, goes on, and exits 1", async () => {
    turn = (text) => {
      reply(`echo: ${text}`);
      api.emit("status", { status: "idle" });
    };
    const run = await cli(["chat"], {
      env: env(),
      stdin: "this line is far too long for the fake\nshort\n",
    });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, "echo: short\n");
    assert.match(run.stderr, /400 text is longer than 20 characters/);
    assert.match(run.stderr, /1 message\(s\) could not be sent/);
  });

  it("gives up after --wait when no reply comes", async () => {
    turn = () => api.emit("status", { status: "working" });
    const run = await cli(["chat", "--wait", "1"], { env: env(), stdin: "anyone?\n" });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no reply within 1 s \(see --wait\)/);
  });

  it("says so when the service goes away mid-conversation", async () => {
    turn = () => void api.close();
    const run = await cli(["chat"], { env: env(), stdin: "bye\n" });
    assert.equal(run.code, 1);
    assert.ok(run.stderr.includes(`lost the service at ${api.url}`), run.stderr);
  });

  it("with no input it sends nothing and exits at once", async () => {
    turn = () => assert.fail("nothing was sent");
    const run = await cli(["chat"], { env: env(), stdin: "" });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "");
  });

  it("rejects a --wait that is not a number of seconds", async () => {
    const run = await cli(["chat", "--wait", "soon"], { env: env() });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--wait: expected a number of seconds/);
  });
});
