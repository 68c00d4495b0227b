import { test } from "node:test";
import assert from "node:assert/strict";
import { tool } from "@anthropic-ai/claude-agent-sdk";
import {
  cancelTask,
  listTasks,
  pauseTask,
  resumeTask,
  scheduleTask,
  scheduleTaskArgs,
  scheduleTaskShape,
  updateTask,
  type TaskToolContext,
} from "../../src/scheduler/task-tools.ts";
import { claimDueRun } from "../../src/scheduler/slots.ts";
import { finishRun, getTask } from "../../src/store/tasks.ts";
import { countRows, fakeClock, openTestStore, type TestStore } from "./helpers.ts";

const T = Date.parse("2026-03-20T12:00:00Z");

function contexts(store: TestStore): {
  main: TaskToolContext;
  family: TaskToolContext;
  changes: () => number;
} {
  let changes = 0;
  const clock = fakeClock(T);
  const groups: Record<string, number> = { main: store.mainGroup, family: store.otherGroup };
  const base = {
    db: store.db,
    defaultTimezone: "Europe/London",
    clock: clock.now,
    resolveGroup: (name: string) => groups[name.toLowerCase()],
    describeGroup: (id: number) => Object.keys(groups).find((name) => groups[name] === id),
    scheduler: { changed: () => void (changes += 1) },
  };
  return {
    main: { ...base, groupId: store.mainGroup, isMain: true },
    family: { ...base, groupId: store.otherGroup, isMain: false },
    changes: () => changes,
  };
}

test("scheduling answers with the schedule and next run in the task's timezone", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const { main, changes } = contexts(store);
  const weekdays = scheduleTask(main, {
    prompt: "send me a summary",
    cron: "0 9 * * 1-5",
    timezone: "America/New_York",
  });
  assert.deepEqual(weekdays, {
    isError: false,
    text:
      'Scheduled task 1: cron "0 9 * * 1-5" (America/New_York). ' +
      "Next run: Fri, 20 Mar 2026, 09:00 America/New_York.",
  });
  const reminder = scheduleTask(main, { prompt: "stretch", once: "in 20 minutes" });
  assert.equal(
    reminder.text,
    "Scheduled task 2: once at Fri, 20 Mar 2026, 12:20 Europe/London. Next run: Fri, 20 Mar 2026, 12:20 Europe/London.",
  );
  const check = scheduleTask(main, {
    prompt: "check the page",
    interval: "2h",
    script: "echo '{\"wakeAgent\": false}'",
    context_mode: "isolated",
  });
  assert.equal(check.isError, false);
  assert.equal(getTask(store.db, 3)?.contextMode, "isolated");
  assert.equal(getTask(store.db, 1)?.contextMode, "group");
  assert.equal(changes(), 3);
});

test("each bad input is refused with a clear error and writes nothing", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const { main, family, changes } = contexts(store);
  const cases: [TaskToolContext, Parameters<typeof scheduleTask>[1], RegExp][] = [
    [
      main,
      { prompt: "x", cron: "61 9 * * *" },
      /Invalid cron expression "61 9 \* \* \*".*minute: 61/,
    ],
    [main, { prompt: "x", interval: "30s" }, /shorter than the minimum of 1 minute/],
    [main, { prompt: "x", once: "2026-03-19T09:00" }, /is in the past/],
    [
      main,
      { prompt: "x", cron: "0 9 * * *", timezone: "Europe/Atlantis" },
      /Unknown timezone "Europe\/Atlantis"/,
    ],
    [
      main,
      { prompt: "x".repeat(100 * 1024), interval: "1h" },
      /102,400 characters long; the limit is 10,000/,
    ],
    [main, { prompt: "   ", interval: "1h" }, /prompt is empty/],
    [main, { prompt: "x" }, /Give one of cron, interval or once/],
    [
      main,
      { prompt: "x", cron: "0 9 * * *", interval: "1h" },
      /only one of cron, interval or once/,
    ],
    [
      main,
      { prompt: "x", interval: "1h", script: "y".repeat(20_000) },
      /script is 20,000 characters/,
    ],
    [
      main,
      { prompt: "x", interval: "1h", target_group: "nowhere" },
      /No registered group "nowhere"/,
    ],
    [family, { prompt: "x", interval: "1h", target_group: "main" }, /Only the main chat/],
    [main, { prompt: 42 } as never, /Invalid arguments: prompt: /],
  ];
  for (const [context, args, message] of cases) {
    const result = scheduleTask(context, args);
    assert.equal(result.isError, true, result.text);
    assert.match(result.text, message);
  }
  assert.equal(countRows(store.db, "tasks"), 0);
  assert.equal(changes(), 0);
});

test("main may schedule for another group; a group may name itself", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const { main, family } = contexts(store);
  const forFamily = scheduleTask(main, { prompt: "x", interval: "1h", target_group: "Family" });
  assert.match(forFamily.text, /^Scheduled task 1 for family \(group \d+\): every 1h\./);
  assert.equal(getTask(store.db, 1)?.groupId, store.otherGroup);
  assert.equal(
    scheduleTask(family, { prompt: "y", interval: "1h", target_group: "family" }).isError,
    false,
  );
  assert.equal(getTask(store.db, 2)?.groupId, store.otherGroup);
});

test("a non-main group cannot see or touch another group's task", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const { main, family } = contexts(store);
  scheduleTask(main, { prompt: "main's secret", interval: "1h" });
  scheduleTask(family, { prompt: "family chores", interval: "1d" });

  for (const [name, result] of [
    ["pause", pauseTask(family, { task_id: 1 })],
    ["resume", resumeTask(family, { task_id: 1 })],
    ["cancel", cancelTask(family, { task_id: 1 })],
    ["update", updateTask(family, { task_id: 1, prompt: "hijacked" })],
  ] as const) {
    assert.deepEqual(result, { isError: true, text: "Task 1 not found." }, name);
  }
  assert.deepEqual(
    [getTask(store.db, 1)?.status, getTask(store.db, 1)?.prompt],
    ["active", "main's secret"],
  );
  const seen = listTasks(family, {}).text;
  assert.doesNotMatch(seen, /secret/);
  assert.match(
    seen,
    /^Task 2 \[active\] every 1d; next run: Sat, 21 Mar 2026, 12:00 Europe\/London/,
  );
  assert.equal(listTasks(family, { target_group: "main" }).isError, true);

  // Main sees and manages everything.
  assert.match(
    listTasks(main).text,
    /Task 1 .*\n.*\n {2}group: main[\s\S]*Task 2 .*\n.*\n {2}group: family/,
  );
  assert.equal(pauseTask(main, { task_id: 2 }).text, "Paused task 2.");
  assert.equal(getTask(store.db, 2)?.status, "paused");
});

test("list shows schedule, next run, status and last result", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const { main } = contexts(store);
  scheduleTask(main, { prompt: "summary\nof the day", cron: "0 9 * * 1-5" });
  scheduleTask(main, { prompt: "one-off", once: "1h" });
  const claim = claimDueRun(store.db, T + 3_600_000);
  assert.ok(claim);
  finishRun(store.db, claim.run.id, { status: "succeeded", result: "Reminded the user." });
  pauseTask(main, { task_id: 1 });

  assert.equal(
    listTasks(main).text,
    [
      'Task 1 [paused] cron "0 9 * * 1-5" (Europe/London); next run: paused',
      "  prompt: summary of the day",
      "  group: main (group 1)",
    ].join("\n"),
  );
  assert.equal(
    listTasks(main, { include_finished: true }).text.split("\n").slice(3).join("\n"),
    [
      "Task 2 [completed] once at Fri, 20 Mar 2026, 13:00 Europe/London; next run: none",
      "  prompt: one-off",
      "  group: main (group 1)",
      "  last result: Reminded the user.",
    ].join("\n"),
  );
});

test("update changes the schedule, timezone, prompt and script; pause, resume and cancel", (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const { main, changes } = contexts(store);
  scheduleTask(main, { prompt: "summary", cron: "0 9 * * *" });
  const moved = updateTask(main, { task_id: "1" as never, timezone: "Asia/Tokyo" });
  assert.match(
    moved.text,
    /cron "0 9 \* \* \*" \(Asia\/Tokyo\); next run: Sat, 21 Mar 2026, 09:00 Asia\/Tokyo/,
  );
  const renamed = updateTask(main, { task_id: 1, prompt: "summary please", script: "echo hi" });
  assert.equal(renamed.isError, false);
  assert.deepEqual(
    [
      getTask(store.db, 1)?.prompt,
      getTask(store.db, 1)?.script,
      getTask(store.db, 1)?.schedule.timezone,
    ],
    ["summary please", "echo hi", "Asia/Tokyo"],
  );
  assert.equal(updateTask(main, { task_id: 1, script: "" }).isError, false);
  assert.equal(getTask(store.db, 1)?.script, null);
  const everyHour = updateTask(main, { task_id: 1, interval: "1h" });
  assert.match(everyHour.text, /every 1h; next run: Fri, 20 Mar 2026, 22:00 Asia\/Tokyo/);

  const refused = updateTask(main, { task_id: 1, interval: "10s" });
  assert.match(refused.text, /shorter than the minimum/);
  assert.equal(getTask(store.db, 1)?.schedule.expr, "1h");
  assert.equal(updateTask(main, { task_id: 1 }).text, "Nothing to change was given.");
  assert.equal(updateTask(main, { task_id: 9, prompt: "x" }).text, "Task 9 not found.");

  assert.equal(resumeTask(main, { task_id: 1 }).text, "Task 1 is active, not paused.");
  assert.equal(pauseTask(main, { task_id: 1 }).text, "Paused task 1.");
  assert.equal(pauseTask(main, { task_id: 1 }).text, "Task 1 is paused, not active.");
  assert.equal(
    resumeTask(main, { task_id: 1 }).text,
    "Resumed task 1. Next run: Fri, 20 Mar 2026, 22:00 Asia/Tokyo.",
  );
  assert.equal(cancelTask(main, { task_id: 1 }).text, "Cancelled task 1.");
  assert.equal(cancelTask(main, { task_id: 1 }).text, "Task 1 is already cancelled.");
  assert.match(
    updateTask(main, { task_id: 1, prompt: "again" }).text,
    /cancelled; schedule a new task/,
  );
  assert.equal(changes(), 8);
});

test("the exported shapes plug into the Agent SDK's tool()", async (t) => {
  const store = openTestStore();
  t.after(() => store.close());
  const { family } = contexts(store);
  const definition = tool("schedule_task", "Schedule a task", scheduleTaskShape, async (args) => {
    const result = scheduleTask(family, args);
    return { content: [{ type: "text", text: result.text }], isError: result.isError };
  });
  // The SDK's inferred type lists every optional key; over MCP absent keys are simply absent.
  const args = { prompt: "water the plants", interval: "1d" };
  const answer = await definition.handler(args as Parameters<typeof definition.handler>[0], {});
  assert.deepEqual(answer, {
    content: [
      {
        type: "text",
        text: "Scheduled task 1: every 1d. Next run: Sat, 21 Mar 2026, 12:00 Europe/London.",
      },
    ],
    isError: false,
  });
  assert.equal(scheduleTaskArgs.safeParse({ prompt: "x", context_mode: "shared" }).success, false);
});
