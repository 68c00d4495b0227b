// Compares two V8 heap snapshots (.heapsnapshot, as written by --heapsnapshot-signal) by
// constructor: how many objects and how many bytes of their own each holds in each, largest
// growth first. Usage: sh scripts/node.sh bench/heap-compare.ts early.heapsnapshot late.heapsnapshot
// Self sizes only (no retained sizes: those need the dominator tree), which is enough to see
// which kind of object multiplies.
import { readFileSync } from "node:fs";

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

export interface ConstructorTotals {
  count: number;
  bytes: number;
}

/** Objects and self bytes per constructor name ("(type) name" for non-objects). */
export function byConstructor(path: string): Map<string, ConstructorTotals> {
  const snapshot = JSON.parse(readFileSync(path, "utf8")) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf("type");
  const nameAt = fields.indexOf("name");
  const sizeAt = fields.indexOf("self_size");
  const totals = new Map<string, ConstructorTotals>();
  const { nodes, strings } = snapshot;
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]!]!;
    const name = strings[nodes[i + nameAt]!]!;
    // Strings and code are named by their content: group them by type alone.
    const key =
      type === "object" || type === "closure" || type === "native"
        ? `${name}${type === "object" ? "" : ` (${type})`}`
        : `(${type})`;
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += nodes[i + sizeAt]!;
    totals.set(key, entry);
  }
  return totals;
}

function main(): void {
  const [earlyPath, latePath, top = "30"] = process.argv.slice(2);
  if (!earlyPath || !latePath)
    throw new Error("usage: heap-compare.ts <early.heapsnapshot> <late.heapsnapshot> [rows]");
  const early = byConstructor(earlyPath);
  const late = byConstructor(latePath);
  const sum = (map: Map<string, ConstructorTotals>) =>
    [...map.values()].reduce((total, e) => total + e.bytes, 0);
  const rows = [...new Set([...early.keys(), ...late.keys()])].map((name) => {
    const a = early.get(name) ?? { count: 0, bytes: 0 };
    const b = late.get(name) ?? { count: 0, bytes: 0 };
    return { name, count: [a.count, b.count], bytes: [a.bytes, b.bytes], grew: b.bytes - a.bytes };
  });
  rows.sort((x, y) => y.grew - x.grew);
  const kb = (bytes: number) => (bytes / 1024).toFixed(1);
  console.log(`total self size: ${kb(sum(early))} KB -> ${kb(sum(late))} KB`);
  console.log("grew KB   early KB -> late KB   count early -> late   constructor");
  for (const row of rows.slice(0, Number(top)))
    console.log(
      `${kb(row.grew).padStart(8)}  ${kb(row.bytes[0]!).padStart(9)} -> ${kb(row.bytes[1]!).padEnd(9)} ${String(row.count[0]).padStart(8)} -> ${String(row.count[1]).padEnd(8)}  ${row.name}`,
    );
}

if (import.meta.url === `file://${process.argv[1]}`) main();
