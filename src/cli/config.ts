// pincer config: from a terminal, what the setup page sets (the model key, channel tokens,
// WhatsApp, time zone, name, main chat). Secrets are shown masked. A value left off the
// command line is read from standard input, so a token need not land in the shell's history.
import { text } from "node:stream/consumers";
import { jsonOf } from "./client.ts";
import { UsageError } from "./errors.ts";
import { clientFor, CONNECTION_OPTIONS, parseCommand, print, printJson, type CliIo } from "./io.ts";
import { table } from "./table.ts";

const SOURCES: Record<string, string> = {
  environment: "environment (wins)",
  saved: "saved",
  default: "-",
};

export async function configCommand(args: string[], io: CliIo): Promise<void> {
  const { values, positionals } = parseCommand("config", {
    args,
    options: CONNECTION_OPTIONS,
    allowPositionals: true,
  });
  const [action = "show", name, ...rest] = positionals;
  const client = clientFor(values, io);
  if (action === "show") {
    if (name !== undefined) throw new UsageError(`"config show" takes no setting name`, "config");
    const { settings } = await jsonOf(client.api.settings.$get());
    if (values.json) return printJson(io, { settings });
    return print(
      io,
      table(
        ["SETTING", "VALUE", "FROM"],
        settings.map((setting) => [
          setting.name,
          setting.value ?? "",
          SOURCES[setting.source] ?? "",
        ]),
      ),
    );
  }
  if (action !== "set" && action !== "unset")
    throw new UsageError(`unknown config action "${action}" (show, set or unset)`, "config");
  if (name === undefined)
    throw new UsageError(`which setting? e.g. pincer config ${action} TZ`, "config");
  if (action === "unset") {
    if (rest.length > 0)
      throw new UsageError(`"config unset" takes only the setting's name`, "config");
    const { setting } = await jsonOf(client.api.settings[":name"].$delete({ param: { name } }));
    if (values.json) return printJson(io, { setting });
    return print(io, `${name} removed${setting.value ? ` (now ${setting.value})` : ""}`);
  }
  if (rest.length === 0 && io.stdin.isTTY) io.stderr.write(`${name}: `);
  const value = rest.length > 0 ? rest.join(" ") : (await text(io.stdin)).trim();
  const saved = await jsonOf(
    client.api.settings[":name"].$put({ param: { name }, json: { value } }),
  );
  if (values.json) return printJson(io, saved);
  const check = saved.check?.ok
    ? ` (the model API accepted it in ${saved.check.latencyMs} ms)`
    : "";
  print(io, `${name} saved: ${saved.setting.value ?? "(empty)"}${check}`);
}
