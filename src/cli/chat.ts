// pincer chat: the web chat in a terminal. Each line of input is sent to the main group;
// replies arrive over the chat's event stream. With piped input it ends once the reply to
// the last line is in: a reply newer than the last message sent, with the agent idle.
import { createInterface } from "node:readline";
import { jsonOf } from "./client.ts";
import { CliError, UsageError } from "./errors.ts";
import { clientFor, CONNECTION_OPTIONS, parseCommand, type CliIo } from "./io.ts";
import { readEvents } from "./sse.ts";

interface ChatMessage {
  id: number;
  text: string;
  createdAt: number;
}

export async function chatCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommand("chat", {
    args,
    options: { ...CONNECTION_OPTIONS, wait: { type: "string" } },
  });
  const waitSeconds = Number(values.wait ?? 600);
  if (!(waitSeconds > 0)) throw new UsageError("--wait: expected a number of seconds", "chat");
  const client = clientFor(values, io);
  const { assistantName } = await jsonOf(client.api.status.$get());
  const interactive = io.stdin.isTTY === true && io.stdout.isTTY === true;
  const abort = new AbortController();
  const events = await client.api.chat.events.$get(undefined, {
    headers: { accept: "text/event-stream" },
    init: { signal: abort.signal },
  });

  let lastSent = 0;
  let lastShown = 0;
  let working = false;
  let inputEnded = false;
  let failedSends = 0;
  let settle!: () => void;
  let fail!: (error: Error) => void;
  const finished = new Promise<void>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const rl = createInterface({
    input: io.stdin,
    output: interactive ? io.stdout : undefined,
    terminal: interactive,
  });
  rl.setPrompt("> ");

  const show = (message: ChatMessage) => {
    if (message.id <= lastShown) return;
    lastShown = message.id;
    if (values.json) io.stdout.write(`${JSON.stringify({ event: "message", ...message })}\n`);
    else if (interactive) {
      io.stdout.write(`\r\x1b[K${assistantName}: ${message.text}\n`);
      if (!inputEnded) rl.prompt(true);
    } else io.stdout.write(`${message.text}\n`);
  };
  const checkDone = () => {
    if (inputEnded && (lastSent === 0 || (lastShown > lastSent && !working))) settle();
  };

  void (async () => {
    for await (const event of readEvents(events.body!)) {
      if (event.event === "message") show(JSON.parse(event.data) as ChatMessage);
      else if (event.event === "status") {
        const { status } = JSON.parse(event.data) as { status: string };
        working = status === "working";
        if (values.json) io.stdout.write(`${JSON.stringify({ event: "status", status })}\n`);
      }
      checkDone();
    }
    throw new Error("it closed the event stream");
  })().catch((error: unknown) => {
    if (abort.signal.aborted) return;
    fail(new CliError(`lost the service at ${client.url}: ${(error as Error).message}`));
  });

  let interrupted = false;
  rl.on("SIGINT", () => {
    interrupted = true;
    rl.close();
  });
  if (interactive) rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text) {
      try {
        const { id } = await jsonOf(client.api.chat.messages.$post({ json: { text } }));
        // The service answers 202 with the stored id; without one there is nothing newer to await.
        lastSent = Math.max(lastSent, id ?? lastSent);
      } catch (error) {
        if (!(error instanceof CliError)) throw error;
        io.stderr.write(`pincer: ${error.message}\n`);
        failedSends++;
      }
    }
    if (interactive) rl.prompt();
  }
  inputEnded = true;
  if (interrupted) {
    abort.abort();
    return;
  }
  checkDone();
  const timer = setTimeout(
    () => fail(new CliError(`no reply within ${waitSeconds} s (see --wait)`)),
    waitSeconds * 1000,
  );
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  // Replies of the same turn that were written but not yet delivered when it ended.
  if (lastSent > 0) {
    // The service's default page: the last 50 messages.
    const { messages } = await jsonOf(client.api.chat.messages.$get());
    for (const message of messages) if (message.direction === "out") show(message);
  }
  if (failedSends > 0) throw new CliError(`${failedSends} message(s) could not be sent`);
}
