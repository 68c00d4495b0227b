// pincer skills list | add | update | remove: the skills the owner installs, from a git
// repository (pinned at a commit) or a local .tar.gz, for one group or all.
import { createReadStream, existsSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { Readable } from "node:stream";
import type { InstalledSkill } from "../skills/skills.ts";
import { jsonOf } from "./client.ts";
import { UsageError } from "./errors.ts";
import { clientFor, CONNECTION_OPTIONS, parseCommand, print, printJson, type CliIo } from "./io.ts";
import { formatTime, table } from "./table.ts";

const ADD_OPTIONS = {
  ...CONNECTION_OPTIONS,
  ref: { type: "string" },
  subpath: { type: "string" },
  group: { type: "string" },
} as const;

function pin(skill: InstalledSkill): string {
  return skill.commit ? skill.commit.slice(0, 12) : `sha256 ${skill.sha256.slice(0, 12)}`;
}

function source(skill: InstalledSkill): string {
  const { source } = skill;
  const at = source.subpath ? ` (${source.subpath})` : "";
  if (source.type === "archive") return `upload ${source.fileName ?? ""}${at}`.trim();
  return `${source.url}${source.ref ? `@${source.ref}` : ""}${at}`;
}

function describe(skill: InstalledSkill): string {
  return `${skill.name} for ${skill.group ?? "every group"}, from ${source(skill)}, pinned at ${pin(skill)}`;
}

export async function skillsCommand(args: string[], io: CliIo): Promise<void> {
  const [verb, ...rest] = args;
  if (verb === undefined || verb === "list" || verb.startsWith("--")) {
    const { values } = parseCommand("skills", {
      args: verb === "list" ? rest : args,
      options: CONNECTION_OPTIONS,
    });
    const reply = await jsonOf(clientFor(values, io).api.skills.$get());
    if (values.json) return printJson(io, reply);
    const lines =
      reply.skills.length === 0
        ? ["No skills installed."]
        : [
            table(
              ["NAME", "FOR", "SOURCE", "PIN", "UPDATED"],
              reply.skills.map((skill) => [
                skill.name,
                skill.group ?? "every group",
                source(skill),
                pin(skill),
                formatTime(skill.updatedAt),
              ]),
            ),
          ];
    for (const request of reply.requests)
      lines.push(
        `Request #${request.id} waits for approval (on the Skills page): ${request.url}${request.subpath ? ` (${request.subpath})` : ""} — ${request.reason}`,
      );
    return print(io, lines.join("\n"));
  }
  if (verb === "add") {
    const { values, positionals } = parseCommand("skills", {
      args: rest,
      options: ADD_OPTIONS,
      allowPositionals: true,
    });
    if (positionals.length !== 1)
      throw new UsageError("skills add takes one git URL or .tar.gz file", "skills");
    const client = clientFor(values, io);
    const target = positionals[0]!;
    const file = resolve(io.cwd, target);
    let skill: InstalledSkill;
    if (existsSync(file) && statSync(file).isFile()) {
      if (values.ref) throw new UsageError("--ref is for git repositories, not archives", "skills");
      const query = new URLSearchParams({ fileName: basename(file) });
      if (values.subpath) query.set("subpath", values.subpath);
      if (values.group) query.set("group", values.group);
      const body = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
      ({ skill } = (await client.upload(`/api/skills?${query}`, body)) as {
        skill: InstalledSkill;
      });
    } else {
      ({ skill } = await jsonOf(
        client.api.skills.$post({
          json: { url: target, ref: values.ref, subpath: values.subpath, group: values.group },
        }),
      ));
    }
    if (values.json) return printJson(io, { skill });
    return print(io, `Installed ${describe(skill)}. Agents get it when they next start.`);
  }
  if (verb === "update" || verb === "remove") {
    const { values, positionals } = parseCommand("skills", {
      args: rest,
      options: CONNECTION_OPTIONS,
      allowPositionals: true,
    });
    if (positionals.length !== 1)
      throw new UsageError(`skills ${verb} takes one skill name`, "skills");
    const name = positionals[0]!;
    const client = clientFor(values, io);
    if (verb === "update") {
      const reply = await jsonOf(client.api.skills[":name"].update.$post({ param: { name } }));
      if (values.json) return printJson(io, reply);
      const moved = reply.previousCommit !== reply.skill.commit;
      return print(
        io,
        moved
          ? `Updated ${name}: ${reply.previousCommit?.slice(0, 12)} -> ${reply.skill.commit?.slice(0, 12)}.`
          : `${name} is already at the newest commit (${reply.skill.commit?.slice(0, 12)}).`,
      );
    }
    const reply = await jsonOf(client.api.skills[":name"].$delete({ param: { name } }));
    if (values.json) return printJson(io, reply);
    return print(io, `Removed ${name}. Agents lose it when they next start.`);
  }
  throw new UsageError(`unknown skills command "${verb}"`, "skills");
}
