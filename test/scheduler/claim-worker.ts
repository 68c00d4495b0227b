// A second process stand-in for the claim race: its own connection to the same file,
// released together with its rival, claiming until nothing is due.
import { parentPort, workerData } from "node:worker_threads";
import { openDb } from "../../src/store/db.ts";
import { claimDueRun } from "../../src/scheduler/slots.ts";
import { finishRun } from "../../src/store/tasks.ts";

const { file, now, gate } = workerData as { file: string; now: number; gate: SharedArrayBuffer };
const db = openDb(file);
const flag = new Int32Array(gate);
Atomics.add(flag, 0, 1);
Atomics.notify(flag, 0);
while (Atomics.load(flag, 0) < 2) Atomics.wait(flag, 0, 1, 100);

const claimed: [number, number][] = [];
for (;;) {
  const claim = claimDueRun(db, now);
  if (!claim) break;
  claimed.push([claim.task.id, claim.run.scheduledFor]);
  if (claim.kind === "run") finishRun(db, claim.run.id, { status: "succeeded" }, now);
}
db.close();
parentPort?.postMessage(claimed);
