// Scheduled tasks: schedule, next run, last result, pause / resume / cancel, run history.
import type { TaskRun } from "../../store/tasks.ts";
import type { taskView } from "../tasks-api.ts";
import { html, type Html } from "./html.ts";
import { formatTime, layout, type PageContext } from "./layout.ts";

type TaskView = ReturnType<typeof taskView>;

const ACTIONS: Record<string, string[]> = {
  active: ["pause", "cancel"],
  paused: ["resume", "cancel"],
};

function runRows(runs: TaskRun[], timeZone: string): Html {
  if (runs.length === 0) return html`<p class="hint">No runs yet.</p>`;
  return html`<div class="table-wrap">
    <table>
      <thead>
        <tr>
          <th scope="col">Scheduled for</th>
          <th scope="col">Ended</th>
          <th scope="col">Status</th>
          <th scope="col">Result</th>
        </tr>
      </thead>
      <tbody>
        ${runs.map(
          (run) =>
            html`<tr>
              <td>${formatTime(run.scheduledFor, timeZone)}</td>
              <td>${formatTime(run.endedAt, timeZone)}</td>
              <td>${run.status}</td>
              <td><span class="wrap">${run.error ?? run.result ?? "—"}</span></td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

function taskCard(task: TaskView, runs: TaskRun[], timeZone: string): Html {
  const verbs = ACTIONS[task.status] ?? [];
  return html`<section
    class="card task"
    id="task-${task.id}"
    aria-labelledby="task-${task.id}-title"
  >
    <h2 id="task-${task.id}-title">
      #${task.id} <span class="badge${task.status === "active" ? " ok" : ""}">${task.status}</span>
    </h2>
    <p><span class="wrap">${task.prompt}</span></p>
    <dl>
      <dt>Group</dt>
      <dd>${task.group ?? "—"}</dd>
      <dt>Schedule</dt>
      <dd>
        ${task.schedule}${task.contextMode === "isolated" ? " · isolated session" : ""}${task.hasScript ? " · with pre-script" : ""}
      </dd>
      <dt>Next run</dt>
      <dd>${formatTime(task.nextRunAt, timeZone)}</dd>
      <dt>Last run</dt>
      <dd>${formatTime(task.lastRunAt, timeZone)}</dd>
      <dt>Last result</dt>
      <dd><span class="wrap">${task.lastResult ?? "—"}</span></dd>
    </dl>
    <p class="actions">
      ${verbs.map(
        (verb) =>
          html`<button
            type="button"
            class="${verb === "cancel" ? "danger" : "secondary"}"
            data-api="/api/tasks/${task.id}/${verb}"
            ${verb === "cancel" ? html` data-confirm="Cancel task #${task.id}? It will not run again."` : ""}
          >
            ${verb}
          </button> `,
      )}
    </p>
    <p class="form-error error" role="alert"></p>
    <details>
      <summary>Run history</summary>
      ${runRows(runs, timeZone)}
    </details>
  </section>`;
}

export function tasksPage(
  context: PageContext,
  tasks: { task: TaskView; runs: TaskRun[] }[],
): string {
  const body = html` <h1>Scheduled tasks</h1>
    ${
      tasks.length === 0
        ? html`<p class="hint">
            No tasks yet. Ask the assistant, e.g. “every weekday at 9am, summarise my calendar”.
          </p>`
        : tasks.map(({ task, runs }) => taskCard(task, runs, context.timeZone))
    }`;
  return layout({ title: "Tasks", path: "/tasks", context, body });
}
