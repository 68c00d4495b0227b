// Run as a separate process by the backup tests: writes to the store in a tight loop, each
// transaction adding a ledger row and bumping the total, until it is killed. A consistent
// copy of the store therefore always has count(ledger) = total.
import { DatabaseSync } from "node:sqlite";

const db = new DatabaseSync(process.argv[2]!);
db.exec("PRAGMA busy_timeout = 10000");
const insert = db.prepare("INSERT INTO ledger (payload) VALUES (?)");
const bump = db.prepare("UPDATE ledger_total SET n = n + 1");
let written = 0;
const burst = () => {
  for (let i = 0; i < 20; i++) {
    db.exec("BEGIN IMMEDIATE");
    insert.run("x".repeat(300));
    bump.run();
    db.exec("COMMIT");
    written++;
  }
  if (written === 100) process.stdout.write("writing\n");
  setImmediate(burst);
};
burst();
