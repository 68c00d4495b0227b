// Instants as people read them where they are: "Fri, 20 Mar 2026, 09:00".

// Building an Intl.DateTimeFormat costs a quarter of a millisecond; one per zone is enough.
const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time of `ms` in `timeZone`: "Fri, 20 Mar 2026, 09:00". */
export function wallClock(ms: number, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-GB", {
      timeZone,
      weekday: "short",
      year: "numeric",
      month: "short",
      day: "numeric",
      hour: "2-digit",
      minute: "2-digit",
    });
    formats.set(timeZone, format);
  }
  return format.format(new Date(ms));
}
