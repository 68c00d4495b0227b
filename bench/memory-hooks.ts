// Preloaded (node --import) into Pincer when the soak runs with --heap: writes V8's own view
// of the process's memory (process.memoryUsage()) to BENCH_MEMORY_FILE every few seconds, so
// the soak can set the JavaScript heap's slope beside the RSS slope. A heap that stays flat
// under a rising RSS is the allocator's or V8's sizing, not a leak. Heap snapshots come from
// Node's own --heapsnapshot-signal, which the soak sets next to this hook.
import { writeFileSync } from "node:fs";

export interface MemoryReading {
  /** Milliseconds since the epoch. */
  t: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

const file = process.env.BENCH_MEMORY_FILE;
const every = Number(process.env.BENCH_MEMORY_EVERY_MS ?? 5000);

if (file) {
  // The latest reading only: the soak samples it on its own schedule.
  const write = () =>
    writeFileSync(file, JSON.stringify({ t: Date.now(), ...process.memoryUsage() }));
  write();
  setInterval(write, every).unref();
}
