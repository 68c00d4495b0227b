import { test } from "node:test";
import assert from "node:assert/strict";
import { EditPacer, type EditOutcome, type PacerClock } from "../../src/core/edit-pacer.ts";
import { deferred } from "../helpers/wait.ts";

/** A clock the test moves by hand: timers run when `advance` passes their time. */
class ManualClock implements PacerClock {
  time = 0;
  private timers: { at: number; run: () => void }[] = [];
  now = () => this.time;
  after = (ms: number, run: () => void) => {
    const timer = { at: this.time + ms, run };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((other) => other !== timer);
    };
  };
  get pending(): number {
    return this.timers.length;
  }
  advance(ms: number): void {
    this.time += ms;
    const due = this.timers.filter((timer) => timer.at <= this.time);
    this.timers = this.timers.filter((timer) => timer.at > this.time);
    for (const timer of due) timer.run();
  }
}

/** An edit that the test answers: each perform waits for `answer`. */
function recorder() {
  const performed: string[] = [];
  let answer = deferred<EditOutcome>();
  return {
    performed,
    perform: (text: string) => {
      performed.push(text);
      return answer.promise;
    },
    async answer(outcome: EditOutcome) {
      const current = answer;
      answer = deferred<EditOutcome>();
      current.resolve(outcome);
      // Lets the pacer's continuation run.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

function pacer(clock: ManualClock, perform: (text: string) => Promise<EditOutcome>) {
  return new EditPacer({ minIntervalMs: 1_000, maxIntervalMs: 8_000, perform, clock });
}

test("the first text goes out at once; texts during an edit and its pause collapse to the latest", async () => {
  const clock = new ManualClock();
  const edits = recorder();
  const paced = pacer(clock, edits.perform);
  paced.update("a");
  paced.update("ab");
  paced.update("abc");
  assert.deepEqual(edits.performed, ["a"], "one edit in flight, nothing queued behind it");
  await edits.answer({ ok: true });
  assert.deepEqual(edits.performed, ["a"], "the pause after an edit is kept");
  clock.advance(999);
  assert.deepEqual(edits.performed, ["a"]);
  clock.advance(1);
  assert.deepEqual(edits.performed, ["a", "abc"], "only the latest text follows");
  await edits.answer({ ok: true });
  clock.advance(10_000);
  assert.deepEqual(edits.performed, ["a", "abc"], "nothing more without a newer text");
});

test("a refusal waits what the platform asked for, retries the text unless a newer one came", async () => {
  const clock = new ManualClock();
  const edits = recorder();
  const paced = pacer(clock, edits.perform);
  paced.update("one");
  await edits.answer({ ok: false, retryAfterMs: 5_000 });
  clock.advance(4_999);
  assert.deepEqual(edits.performed, ["one"], "no edit before retry_after");
  clock.advance(1);
  assert.deepEqual(edits.performed, ["one", "one"], "the refused text is tried again");
  paced.update("two");
  paced.update("three");
  await edits.answer({ ok: false });
  // The pause doubles from what the platform asked for, up to the cap (8 s).
  clock.advance(7_999);
  assert.deepEqual(edits.performed, ["one", "one"]);
  clock.advance(1);
  assert.deepEqual(edits.performed, ["one", "one", "three"], "the newest text, not the refused");
  await edits.answer({ ok: true });
  paced.update("four");
  clock.advance(1_000);
  assert.deepEqual(edits.performed.at(-1), "four", "a success brings the pause back down");
});

test("a storm of refusals means fewer edits than texts, and the last text still lands", async () => {
  const clock = new ManualClock();
  const edits = recorder();
  const paced = pacer(clock, edits.perform);
  let refusals = 5;
  for (let index = 0; index < 40; index++) {
    paced.update(`text ${index}`);
    if (edits.performed.length > 0 && refusals > 0 && index % 3 === 0) {
      refusals -= 1;
      await edits.answer({ ok: false, retryAfterMs: 1_000 });
    } else await edits.answer({ ok: true });
    clock.advance(250);
  }
  clock.advance(60_000);
  await edits.answer({ ok: true });
  clock.advance(60_000);
  assert.ok(edits.performed.length < 40, `fewer edits (${edits.performed.length}) than texts`);
  assert.equal(edits.performed.at(-1), "text 39");
});

test("stop drops what waits and waits for the edit in flight; nothing starts after it", async () => {
  const clock = new ManualClock();
  const edits = recorder();
  const paced = pacer(clock, edits.perform);
  paced.update("a");
  paced.update("b");
  let stopped = false;
  const stopping = paced.stop().then(() => (stopped = true));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stopped, false, "the edit in flight is waited for");
  await edits.answer({ ok: true });
  await stopping;
  paced.update("c");
  clock.advance(10_000);
  assert.deepEqual(edits.performed, ["a"]);
  assert.equal(clock.pending, 0);
});
