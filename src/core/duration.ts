// Durations as people write them in configuration: "90s", "30m", "2h", "1d", or plain
// milliseconds ("45000").
const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(text);
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = UNITS[(match[2] ?? "ms").toLowerCase()] ?? 1;
  const ms = Math.round(value * unit);
  return ms > 0 ? ms : undefined;
}
