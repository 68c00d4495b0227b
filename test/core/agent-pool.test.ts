import { test } from "node:test";
import assert from "node:assert/strict";
import { AgentPool, type PoolSession } from "../../src/core/agent-pool.ts";

class FakeSession implements PoolSession {
  readonly groupId: number;
  busy: boolean;
  lastActivity: number;
  closeCalls = 0;

  constructor(groupId: number, busy: boolean, lastActivity: number) {
    this.groupId = groupId;
    this.busy = busy;
    this.lastActivity = lastActivity;
  }

  async close(): Promise<void> {
    this.closeCalls++;
  }
}

/** A pool over fake sessions; sessions open busy, as a real one does once fed its messages. */
function makePool(cap: number) {
  const opened: FakeSession[] = [];
  let clock = 0;
  const pool = new AgentPool<FakeSession>(cap, {
    open(groupId) {
      const session = new FakeSession(groupId, true, ++clock);
      opened.push(session);
      return session;
    },
  });
  const session = (groupId: number): FakeSession => {
    const found = opened.filter((s) => s.groupId === groupId).at(-1);
    assert.ok(found, `group ${groupId} never had a session`);
    return found;
  };
  /** The group's turn ended: it is idle, with activity stamped now. */
  const finishTurn = (groupId: number) => {
    const s = session(groupId);
    s.busy = false;
    s.lastActivity = ++clock;
    pool.idle(groupId);
  };
  const openedGroups = () => opened.map((s) => s.groupId);
  const closing = () => opened.filter((s) => s.closeCalls > 0).map((s) => s.groupId);
  return { pool, opened, session, finishTurn, openedGroups, closing };
}

test("no more than cap sessions are opened; the rest wait", () => {
  const { pool, openedGroups } = makePool(2);
  pool.acquire(1);
  pool.acquire(2);
  pool.acquire(3);
  pool.acquire(4);
  assert.deepEqual(openedGroups(), [1, 2]);
  assert.deepEqual(pool.waitingGroups, [3, 4]);
  assert.equal(pool.sessions().length, 2);
  assert.equal(pool.get(3), undefined);
});

test("acquire is a no-op for a group that is live or already waiting", () => {
  const { pool, openedGroups } = makePool(1);
  pool.acquire(1);
  pool.acquire(1);
  pool.acquire(2);
  pool.acquire(2);
  assert.deepEqual(openedGroups(), [1]);
  assert.deepEqual(pool.waitingGroups, [2]);
});

test("a busy session is never evicted, even when it is the oldest", () => {
  const { pool, session, closing, openedGroups } = makePool(2);
  pool.acquire(1);
  pool.acquire(2);
  pool.acquire(3);
  assert.deepEqual(closing(), []);
  session(2).busy = false;
  session(2).lastActivity = 100;
  pool.acquire(4);
  assert.deepEqual(closing(), [2]);
  assert.equal(session(1).closeCalls, 0);
  assert.deepEqual(openedGroups(), [1, 2]);
});

test("when full, the warm session idle the longest makes way", () => {
  const { pool, session, closing, openedGroups } = makePool(3);
  for (const group of [1, 2, 3]) pool.acquire(group);
  for (const [group, at] of [
    [1, 30],
    [2, 10],
    [3, 20],
  ] as const) {
    session(group).busy = false;
    session(group).lastActivity = at;
  }
  pool.acquire(4);
  assert.deepEqual(closing(), [2]);
  // The slot is taken only once the evicted process has really ended.
  assert.deepEqual(openedGroups(), [1, 2, 3]);
  assert.equal(pool.get(2), undefined);
  pool.released(2);
  assert.deepEqual(openedGroups(), [1, 2, 3, 4]);
  assert.deepEqual(pool.waitingGroups, []);
});

test("several waiting groups each get an evicted slot in turn", () => {
  const { pool, session, closing, openedGroups } = makePool(2);
  pool.acquire(1);
  pool.acquire(2);
  session(1).busy = false;
  session(2).busy = false;
  pool.acquire(3);
  pool.acquire(4);
  pool.released(closing()[0]!);
  pool.released(closing()[1]!);
  assert.deepEqual(openedGroups(), [1, 2, 3, 4]);
  assert.deepEqual(pool.waitingGroups, []);
});

test("groups are served in the order they asked", () => {
  const { pool, openedGroups, finishTurn } = makePool(1);
  pool.acquire(1);
  pool.acquire(3);
  pool.acquire(2);
  finishTurn(1);
  pool.released(1);
  assert.deepEqual(openedGroups(), [1, 3]);
  finishTurn(3);
  pool.released(3);
  assert.deepEqual(openedGroups(), [1, 3, 2]);
  // Group 1 asks again: it queues behind nobody and gets 2's slot when 2 is done.
  pool.acquire(1);
  finishTurn(2);
  pool.released(2);
  assert.deepEqual(openedGroups(), [1, 3, 2, 1]);
});

test("idle() keeps the session warm when nobody waits", () => {
  const { pool, closing, finishTurn } = makePool(1);
  pool.acquire(1);
  finishTurn(1);
  assert.deepEqual(closing(), []);
});

test("idle() gives the slot up to a waiting group, but not while still busy", () => {
  const { pool, closing, finishTurn } = makePool(1);
  pool.acquire(1);
  pool.acquire(2);
  pool.idle(1);
  assert.deepEqual(closing(), []);
  finishTurn(1);
  assert.deepEqual(closing(), [1]);
});

test("released() after a crash frees the slot for the next group", () => {
  const { pool, openedGroups } = makePool(1);
  pool.acquire(1);
  pool.acquire(2);
  pool.released(1);
  assert.deepEqual(openedGroups(), [1, 2]);
  assert.equal(pool.get(1), undefined);
  assert.ok(pool.get(2));
});

test("a group whose old session is still closing waits for it to end", () => {
  const { pool, session, openedGroups } = makePool(3);
  pool.acquire(1);
  pool.closeGroup(1);
  assert.equal(session(1).closeCalls, 1);
  assert.equal(pool.get(1), undefined);
  pool.acquire(1);
  assert.deepEqual(openedGroups(), [1], "no second process while the first still runs");
  assert.deepEqual(pool.waitingGroups, [1]);
  pool.closeGroup(1);
  assert.equal(session(1).closeCalls, 1, "close is asked once");
  pool.released(1);
  assert.deepEqual(openedGroups(), [1, 1]);
  assert.equal(pool.get(1), session(1));
});

test("a closing group does not hold up others behind it", () => {
  const { pool, openedGroups } = makePool(2);
  pool.acquire(1);
  pool.closeGroup(1);
  pool.acquire(1);
  pool.acquire(2);
  assert.deepEqual(openedGroups(), [1, 2]);
  assert.deepEqual(pool.waitingGroups, [1]);
  pool.released(1);
  assert.deepEqual(openedGroups(), [1, 2, 1]);
});

test("closeAll closes every session and forgets the waiting line", async () => {
  const { pool, opened } = makePool(2);
  for (const group of [1, 2, 3]) pool.acquire(group);
  await pool.closeAll();
  assert.deepEqual(
    opened.map((s) => s.closeCalls),
    [1, 1],
  );
  assert.deepEqual(pool.waitingGroups, []);
});

// A bug found in review, pinned by a test that failed before its fix.
test("the pool keeps warm sessions when a waiting group only waits for its own old session", () => {
  const closed: number[] = [];
  const session = (id: number): PoolSession => ({
    busy: false,
    lastActivity: id,
    close: async () => void closed.push(id),
  });
  const pool = new AgentPool(4, { open: session });
  pool.acquire(1);
  pool.acquire(2);
  pool.closeGroup(1);
  pool.acquire(1);
  closed.length = 0;
  pool.idle(2);
  assert.deepEqual(closed, [], "two slots are free; nobody needs group 2's process");
});

test("untilNoTurnRuns waits for the last busy turn to end, and not at all when none runs", async () => {
  const { pool, finishTurn } = makePool(2);
  await pool.untilNoTurnRuns(60_000);
  pool.acquire(1);
  pool.acquire(2);
  let settled = false;
  const waiting = pool.untilNoTurnRuns(60_000).then(() => (settled = true));
  finishTurn(1);
  await Promise.resolve();
  assert.equal(settled, false);
  finishTurn(2);
  await waiting;
  assert.equal(settled, true);
});

test("untilNoTurnRuns gives up after the grace; a session that ends counts as settled", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  const { pool } = makePool(2);
  pool.acquire(1);
  const cut = pool.untilNoTurnRuns(5_000);
  t.mock.timers.tick(5_000);
  await cut;
  const ended = pool.untilNoTurnRuns(5_000);
  pool.released(1);
  await ended;
});
