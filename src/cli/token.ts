// pincer token: the admin token from DATA_DIR/admin-token, or a new one from the service.
import { existsSync, readFileSync } from "node:fs";
import { adminTokenFile } from "../data-layout.ts";
import { jsonOf } from "./client.ts";
import { CliError } from "./errors.ts";
import {
  clientFor,
  CONNECTION_OPTIONS,
  dataDirOf,
  parseCommand,
  print,
  printJson,
  type CliIo,
} from "./io.ts";

export async function tokenCommand(args: string[], io: CliIo): Promise<void> {
  const { values } = parseCommand("token", {
    args,
    options: { ...CONNECTION_OPTIONS, rotate: { type: "boolean" } },
  });
  let token: string;
  if (values.rotate) {
    ({ token } = await jsonOf(clientFor(values, io).api.token.rotate.$post()));
  } else {
    const file = adminTokenFile(dataDirOf(values["data-dir"], io));
    if (!existsSync(file))
      throw new CliError(
        `no admin token at ${file}: the service writes it at first start, unless ADMIN_TOKEN is set (then that is the token)`,
      );
    token = readFileSync(file, "utf8").trim();
  }
  if (values.json) printJson(io, { token });
  else print(io, token);
}
