// Runs one claimed task slot: the optional pre-script gate, then an agent turn in the
// group's conversation or in a fresh isolated session. Failures are told to the chat and
// recorded; they never stop a recurring series.
import type { Db } from "../store/db.ts";
import { getGroup } from "../store/groups.ts";
import type { RunOutcome, Task, TaskRun } from "../store/tasks.ts";
import type { Orchestrator } from "../core/orchestrator.ts";
import { prepareGroupFiles } from "../agent/memory.ts";
import { agentHome, groupDir, type Paths } from "../data-layout.ts";
import type { AgentIsolation } from "../agent/isolation/agent-isolation.ts";
import { runPreScript } from "./script.ts";
import { describeSchedule, formatInstant } from "./schedule.ts";

const PRE_SCRIPT_TIMEOUT_MS = 60_000;
const MAX_RESULT_CHARS = 2_000;

export interface TaskRunnerDeps {
  db: Db;
  orchestrator: Orchestrator;
  paths: Paths;
  timeZone: string;
  assistantName: string;
  isolation: AgentIsolation;
}

function taskPrompt(task: Task, data: unknown): string {
  const lines = [
    `Scheduled task #${task.id} (${describeSchedule(task.schedule)}) is due. Do this now and post the result:`,
    task.prompt,
  ];
  if (data !== undefined) lines.push(`Data from the task's pre-script: ${JSON.stringify(data)}`);
  return lines.join("\n");
}

export function taskRunner(
  deps: TaskRunnerDeps,
): (task: Task, run: TaskRun) => Promise<RunOutcome> {
  return async (task, run) => {
    const group = getGroup(deps.db, task.groupId);
    if (!group) return { status: "failed", error: "the task's group is no longer registered" };
    let data: unknown;
    if (task.script) {
      // The script was written by the group's agent: it runs as the agent would.
      const lease = deps.isolation.acquire(group, (identity) =>
        prepareGroupFiles(deps.paths, group, identity, deps.assistantName),
      );
      const home = agentHome(deps.paths, group.folder);
      const gate = await lease.ready
        .then(() =>
          runPreScript(task.script!, {
            cwd: groupDir(deps.paths, group.folder),
            env: {
              PATH: process.env.PATH ?? "/usr/bin:/bin",
              HOME: home,
              TMPDIR: `${home}/tmp`,
              LANG: "C.UTF-8",
              TZ: deps.timeZone,
            },
            timeoutMs: PRE_SCRIPT_TIMEOUT_MS,
            uid: lease.identity?.uid,
            gid: lease.identity?.gid,
            wrapCommand: (command, args) => deps.isolation.command(command, args),
          }),
        )
        .catch((error: unknown) => ({
          outcome: "error" as const,
          reason: "spawn" as const,
          message: (error as Error).message,
        }))
        .finally(() => lease.release());
      if (gate.outcome === "skip")
        return { status: "skipped", result: "the pre-script found nothing to do" };
      if (gate.outcome === "error") {
        deps.orchestrator.notify(
          group,
          `Scheduled task #${task.id} did not run: its pre-script failed (${gate.message}).`,
        );
        return { status: "failed", error: `pre-script: ${gate.message}` };
      }
      data = gate.data;
    }
    const prompt = taskPrompt(task, data);
    const outcome =
      task.contextMode === "isolated"
        ? await deps.orchestrator.runIsolated(group, run.id, prompt)
        : await deps.orchestrator.runInConversation(group, `task-run-${run.id}`, prompt);
    const said = outcome.texts.join("\n\n").slice(0, MAX_RESULT_CHARS);
    return outcome.failed
      ? { status: "failed", error: said || "the agent turn failed" }
      : { status: "succeeded", result: said || "(no reply)" };
  };
}

/** What the chat is told when a one-off task came back too late to run. */
export function missedTaskNotice(task: Task): string {
  const when = task.nextRunAt ?? task.anchorAt;
  return `I missed scheduled task #${task.id} ("${task.prompt.slice(0, 100)}"), due ${formatInstant(when, task.schedule.timezone)}: the service was not running then, so it did not run.`;
}
