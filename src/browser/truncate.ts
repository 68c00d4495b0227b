// What the model gets of a long page: one window of the snapshot text, cut at a line end,
// with a note that says how much there is and how to read on.

export function textWindow(full: string, offset: number, maxChars: number): string {
  if (offset > 0 && offset >= full.length)
    return `[Nothing at offset ${offset}: the snapshot has ${full.length} characters.]`;
  let end = Math.min(full.length, offset + maxChars);
  if (end < full.length) {
    const lineEnd = full.lastIndexOf("\n", end - 1);
    if (lineEnd >= offset) end = lineEnd + 1;
  }
  const body = full.slice(offset, end).replace(/\n$/, "");
  if (end < full.length)
    return `${body}\n[Truncated: showing characters ${offset}-${end} of ${full.length}. Call browser_snapshot with offset ${end} to read on.]`;
  if (offset > 0) return `${body}\n[End of page: characters ${offset}-${end} of ${full.length}.]`;
  return body;
}
