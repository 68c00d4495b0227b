// /api/tasks: the scheduled tasks of every group, and pause / resume / cancel.
import { Hono } from "hono";
import type { Db } from "../store/db.ts";
import { getGroup } from "../store/groups.ts";
import { cancelTask, getTask, listRuns, listTasks, pauseTask, type Task } from "../store/tasks.ts";
import { describeSchedule } from "../scheduler/schedule.ts";
import { resumeTask } from "../scheduler/slots.ts";

export function taskView(db: Db, task: Task) {
  return {
    id: task.id,
    group: getGroup(db, task.groupId)?.folder ?? null,
    prompt: task.prompt,
    schedule: describeSchedule(task.schedule),
    contextMode: task.contextMode,
    hasScript: task.script !== null,
    status: task.status,
    nextRunAt: task.nextRunAt,
    lastRunAt: task.lastRunAt,
    lastResult: task.lastResult,
  };
}

const actions = { pause: pauseTask, resume: resumeTask, cancel: cancelTask } as const;

export function taskRoutes(deps: { db: Db; scheduler: { changed(): void } }) {
  const { db, scheduler } = deps;
  return new Hono()
    .get("/api/tasks", (c) => c.json({ tasks: listTasks(db).map((task) => taskView(db, task)) }))
    .get("/api/tasks/:id/runs", (c) => {
      const id = Number(c.req.param("id"));
      if (!getTask(db, id)) return c.json({ error: `no task ${c.req.param("id")}` }, 404);
      return c.json({ runs: listRuns(db, id, 50) });
    })
    .post("/api/tasks/:id/:action", (c) => {
      const action = c.req.param("action");
      if (!(action in actions))
        return c.json({ error: `unknown action "${action}": use pause, resume or cancel` }, 404);
      const id = Number(c.req.param("id"));
      const task = getTask(db, id);
      if (!task) return c.json({ error: `no task ${c.req.param("id")}` }, 404);
      const changed = actions[action as keyof typeof actions](db, id, Date.now());
      if (!changed)
        return c.json({ error: `task ${id} is ${task.status} and cannot be ${action}d` }, 409);
      scheduler.changed();
      return c.json({ task: taskView(db, changed) });
    });
}
