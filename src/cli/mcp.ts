// pincer mcp: the owner's MCP servers (list, add, remove, test, approve) and the secrets
// their entries refer to as ${NAME}. A secret's value is read from standard input, never
// from the command line, where other users and the shell history would see it.
import { jsonOf } from "./client.ts";
import { CliError, UsageError } from "./errors.ts";
import { clientFor, CONNECTION_OPTIONS, parseCommand, print, printJson, type CliIo } from "./io.ts";
import { oneLine, table } from "./table.ts";

const ADD_OPTIONS = {
  ...CONNECTION_OPTIONS,
  transport: { type: "string" },
  header: { type: "string", multiple: true },
  env: { type: "string", multiple: true },
  group: { type: "string" },
  allow: { type: "string" },
} as const;

/** "Name: value" and "NAME=value" lists into a record, naming the malformed one. */
function pairs(items: string[] | undefined, separator: string, what: string) {
  if (!items) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const at = item.indexOf(separator);
    if (at <= 0) throw new UsageError(`${what} "${item}" is not "name${separator}value"`, "mcp");
    out[item.slice(0, at).trim()] = item.slice(at + separator.length).trim();
  }
  return out;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export async function mcpCommand(args: string[], io: CliIo): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case "list":
      return list(rest, io);
    case "add":
      return add(rest, io);
    case "remove":
    case "test":
    case "approve":
      return onServer(sub, rest, io);
    case "secret":
      return secret(rest, io);
    default:
      throw new UsageError(sub ? `unknown mcp command "${sub}"` : "which mcp command?", "mcp");
  }
}

async function list(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommand("mcp", { args, options: CONNECTION_OPTIONS });
  const reply = await jsonOf(clientFor(values, io).api["mcp-servers"].$get());
  if (values.json) return printJson(io, reply);
  if (reply.servers.length === 0) return print(io, "No MCP servers.");
  print(
    io,
    table(
      ["NAME", "GROUP", "TYPE", "STATUS", "CALLS", "TOOLS", "DETAIL"],
      reply.servers.map((server) => [
        server.name,
        server.group ?? "(every group)",
        server.entry?.type ?? "?",
        server.status,
        server.failedCalls > 0 ? `${server.calls} (${server.failedCalls} failed)` : server.calls,
        oneLine(server.tools.join(", ") || "-", 40),
        oneLine(
          server.missingSecrets.length > 0
            ? `missing secret(s): ${server.missingSecrets.join(", ")}`
            : (server.detail ?? ""),
          60,
        ),
      ]),
    ),
  );
}

async function add(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommand("mcp", {
    args,
    options: ADD_OPTIONS,
    allowPositionals: true,
  });
  const [name, ...target] = positionals;
  if (!name || target.length === 0)
    throw new UsageError("give a name and a URL, or a name, -- and a command", "mcp");
  const transport = values.transport ?? (/^https?:/.test(target[0]!) ? "http" : "stdio");
  const entry =
    transport === "stdio"
      ? {
          type: "stdio",
          command: target[0],
          args: target.slice(1),
          env: pairs(values.env, "=", "--env"),
        }
      : { type: transport, url: target[0], headers: pairs(values.header, ":", "--header") };
  const reply = await jsonOf(
    clientFor(values, io).api["mcp-servers"].$post({
      json: {
        name,
        ...(values.group ? { group: values.group } : {}),
        ...(values.allow ? { allowedTools: values.allow.split(",").map((t) => t.trim()) } : {}),
        ...entry,
      },
    }),
  );
  if (values.json) return printJson(io, reply);
  print(io, `Added ${reply.server.name} for ${reply.server.group ?? "every group"}.`);
}

async function onServer(sub: "remove" | "test" | "approve", args: string[], io: CliIo) {
  const { values, positionals } = parseCommand("mcp", {
    args,
    options: CONNECTION_OPTIONS,
    allowPositionals: true,
  });
  const name = positionals[0];
  if (!name || positionals.length > 1)
    throw new UsageError(`mcp ${sub} takes one server name`, "mcp");
  const server = clientFor(values, io).api["mcp-servers"][":name"];
  const param = { param: { name } };
  if (sub === "remove") {
    const reply = await jsonOf(server.$delete(param));
    return values.json ? printJson(io, reply) : print(io, `Removed ${name}.`);
  }
  if (sub === "approve") {
    const reply = await jsonOf(server.approve.$post(param));
    return values.json ? printJson(io, reply) : print(io, `Approved ${name}.`);
  }
  const reply = await jsonOf(server.test.$post(param));
  if (values.json) return printJson(io, reply);
  print(
    io,
    reply.tools.length === 0
      ? `${name} is reachable and offers no tools.`
      : `${name} is reachable and offers:\n${table(
          ["TOOL", "DESCRIPTION"],
          reply.tools.map((tool) => [tool.name, oneLine(tool.description, 70)]),
        )}`,
  );
}

async function secret(args: string[], io: CliIo): Promise<void> {
  const [action, ...rest] = args;
  const { values, positionals } = parseCommand("mcp", {
    args: rest,
    options: CONNECTION_OPTIONS,
    allowPositionals: true,
  });
  const secrets = clientFor(values, io).api["mcp-secrets"];
  if (action === "list") {
    const reply = await jsonOf(secrets.$get());
    if (values.json) return printJson(io, reply);
    if (reply.secrets.length === 0) return print(io, "No secrets.");
    return print(
      io,
      table(
        ["NAME", "VALUE", "USED BY"],
        reply.secrets.map((s) => [s.name, s.value, s.usedBy.join(", ") || "-"]),
      ),
    );
  }
  const name = positionals[0];
  if ((action !== "set" && action !== "remove") || !name)
    throw new UsageError("use: mcp secret list | set NAME | remove NAME", "mcp");
  if (action === "remove") {
    const reply = await jsonOf(secrets[":name"].$delete({ param: { name } }));
    return values.json ? printJson(io, reply) : print(io, `Removed the secret ${name}.`);
  }
  if (io.stdin.isTTY) io.stderr.write(`Value of ${name} (then Enter and Ctrl-D): `);
  const value = await readAll(io.stdin);
  if (!value) throw new CliError(`no value for ${name} on standard input`);
  // The route reads its body itself (readJsonBody), so its type has no "json": hc sends it all the same.
  const request = { param: { name }, json: { value } } as { param: { name: string } };
  const reply = await jsonOf(secrets[":name"].$put(request));
  if (values.json) return printJson(io, reply);
  print(io, `Set ${name} (${reply.value}).`);
}
