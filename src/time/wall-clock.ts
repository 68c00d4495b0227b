// Instants as people read them where they are: "Fri, 20 Mar 2026, 09:00".
import { dateFormat } from "./date-format.ts";

/** The wall-clock time of `ms` in `timeZone`: "Fri, 20 Mar 2026, 09:00". */
export function wallClock(ms: number, timeZone: string): string {
  return dateFormat("en-GB", {
    timeZone,
    weekday: "short",
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  }).format(new Date(ms));
}
