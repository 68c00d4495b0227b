// send_file as the core answers it, on a real store and a real folder: where a file may go
// (main may reach any registered chat), and the clear refusals before anything is queued.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { Channel } from "../../src/channels/channel.ts";
import { chatTools } from "../../src/core/chat-tools.ts";
import type { TakenFile } from "../../src/core/send-file.ts";
import { dataPaths, groupDir, outboundFilesDir } from "../../src/data-layout.ts";
import { insertGroup, type Group } from "../../src/store/groups.ts";
import { openTempStore } from "../helpers/store.ts";

function channel(name: Channel["name"], files = true, maxFileBytes?: number): Channel {
  return {
    name,
    start: async () => undefined,
    stop: async () => undefined,
    send: async () => ["m"],
    ...(files ? { sendFile: async () => ["f"] } : {}),
    ...(maxFileBytes === undefined ? {} : { maxFileBytes }),
  };
}

function setup(t: { after(fn: () => void): void }) {
  const store = openTempStore();
  t.after(() => store.close());
  const paths = dataPaths(store.dir);
  const group = (folder: string, channelName: string, isMain = false) => {
    mkdirSync(groupDir(paths, folder), { recursive: true });
    return insertGroup(
      store.db,
      {
        channel: channelName,
        chatId: folder,
        folder,
        name: folder[0]!.toUpperCase() + folder.slice(1),
        trigger: "@Andy",
        requiresTrigger: false,
        isMain,
      },
      Date.now(),
    );
  };
  const main = group("main", "web", true);
  const family = group("family", "telegram");
  const work = group("work", "signal");
  const mail = group("mail", "email");
  const replies: { to: string; text: string; through: number | undefined; file?: TakenFile }[] = [];
  const channels = new Map<string, Channel>([
    ["web", channel("web")],
    ["telegram", channel("telegram")],
    ["signal", channel("signal", false)],
  ]);
  const tools = (of: Group) =>
    chatTools(
      {
        db: store.db,
        paths,
        channels,
        assistantName: "Andy",
        reply: (to, text, through, file) =>
          replies.push({ to: to.folder, text, through, ...(file ? { file } : {}) }),
        // No question is asked here (ask_user has its own tests in questions.test.ts).
        ask: () => Promise.reject(new Error("not asked in these tests")),
      },
      of,
      { through: 7 },
    );
  const write = (folder: string, name: string, bytes: string) =>
    writeFileSync(join(groupDir(paths, folder), name), bytes);
  return { paths, main, family, work, mail, replies, tools, write, group, channels };
}

test("a file from the chat's folder is copied and queued to the chat with its caption", async (t) => {
  const { paths, family, replies, tools, write } = setup(t);
  write("family", "report.pdf", "%PDF report");
  const result = await tools(family).sendFile(
    undefined,
    "report.pdf",
    "Here <internal>x</internal>it is",
  );
  assert.deepEqual(result, { text: "Sent report.pdf (11 bytes) to Family.", isError: false });
  assert.equal(replies.length, 1);
  const [reply] = replies;
  assert.equal(reply!.to, "family");
  assert.equal(reply!.text, "Here it is");
  assert.equal(reply!.through, 7, "tied to the running turn");
  assert.equal(reply!.file?.mimeType, "application/pdf");
  const copy = join(outboundFilesDir(paths), reply!.file!.stored);
  assert.equal(readFileSync(copy, "utf8"), "%PDF report");
});

test("main sends a file from its own folder to another registered chat", async (t) => {
  const { main, replies, tools, write } = setup(t);
  write("main", "chart.png", "PNG");
  const result = await tools(main).sendFile("family", "chart.png", undefined);
  assert.deepEqual(result, { text: "Sent chart.png (3 bytes) to Family.", isError: false });
  assert.equal(replies[0]!.to, "family");
  assert.equal(replies[0]!.through, undefined, "not this chat's turn");
});

test("only main may target another chat, and only a registered one", async (t) => {
  const { main, family, replies, tools, write } = setup(t);
  write("family", "a.txt", "a");
  assert.deepEqual(await tools(family).sendFile("main", "a.txt", undefined), {
    text: "Only the main chat can send to other groups.",
    isError: true,
  });
  assert.deepEqual(await tools(main).sendFile("nobody", "a.txt", undefined), {
    text: 'No registered group has the folder "nobody".',
    isError: true,
  });
  assert.equal(replies.length, 0);
});

test("a chat whose channel cannot send files, or is not set up, is refused by name", async (t) => {
  const { main, replies, tools, write } = setup(t);
  write("main", "a.txt", "a");
  assert.deepEqual(await tools(main).sendFile("work", "a.txt", undefined), {
    text: "Work is a chat on signal, where files cannot be sent.",
    isError: true,
  });
  assert.deepEqual(await tools(main).sendFile("mail", "a.txt", undefined), {
    text: "Mail is a chat on email, which is not set up here.",
    isError: true,
  });
  assert.equal(replies.length, 0);
});

test("a file over the destination platform's limit is refused at the call", async (t) => {
  const { paths, main, replies, tools, write } = setup(t);
  write("main", "video.mp4", "");
  truncateSync(join(groupDir(paths, "main"), "video.mp4"), 60 * 1024 * 1024);
  assert.deepEqual(await tools(main).sendFile("family", "video.mp4", undefined), {
    text: "video.mp4 is 60 MB; Telegram bots can send at most 50 MB.",
    isError: true,
  });
  // The web chat takes up to 100 MB.
  assert.equal((await tools(main).sendFile(undefined, "video.mp4", undefined)).isError, false);
  assert.equal(replies.length, 1);
});

test("a limit the platform's server reported is the one send_file checks", async (t) => {
  const { paths, main, replies, tools, write, group, channels } = setup(t);
  group("lab", "matrix");
  channels.set("matrix", channel("matrix", true, 1024 * 1024));
  write("main", "scan.pdf", "");
  truncateSync(join(groupDir(paths, "main"), "scan.pdf"), 2 * 1024 * 1024);
  assert.deepEqual(await tools(main).sendFile("lab", "scan.pdf", undefined), {
    text: "scan.pdf is 2 MB; Matrix (as this server is set up) can send at most 1 MB.",
    isError: true,
  });
  assert.equal(replies.length, 0);
});
