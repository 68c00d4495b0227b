// Durations as people write them: "90s", "2h", "1h30m", "1 day", "2 hours and 15 minutes".
const UNIT_MS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/g;
const DURATION = /^(?:\d+(?:\.\d+)?\s*[a-z]+(?:\s*,?\s*(?:and\s+)?)?)+$/;

/** Reads "90s", "2h", "1h30m", "1 day", "2 hours and 15 minutes"; undefined if it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const source = text.trim().toLowerCase();
  if (source.length > 100 || !DURATION.test(source)) return undefined;
  let total = 0;
  for (const [, amount, unit] of source.matchAll(DURATION_PART)) {
    const ms = UNIT_MS[unit ?? ""];
    if (ms === undefined) return undefined;
    total += Number(amount) * ms;
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, seconds] of [
    ["d", 86_400],
    ["h", 3600],
    ["m", 60],
    ["s", 1],
  ] as const) {
    const count = Math.floor(rest / seconds);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * seconds;
  }
  return parts.length > 0 ? parts.join(" ") : "0s";
}

/** 42 → "0:42", 3725 → "1:02:05". */
export function clockDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.round(totalSeconds));
  const s = String(seconds % 60).padStart(2, "0");
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}:${s}`;
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}:${s}`;
}
