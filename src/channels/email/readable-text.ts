// What a person wrote in a mail, without what mail clients add around it: the quoted history
// ("On … wrote:" and the "> " lines under it, Outlook's "-----Original Message-----" or
// underscore rule with its From:/Sent: block) and the signature ("-- " or a phone's "Sent from
// my iPhone"). The agent reads the new text only; the history is already in the chat.
// HTML-only mail arrives here already as text: mailparser converts it (html-to-text).

/** A line that opens quoted history; everything from it on is dropped. */
const HISTORY_OPENERS = [
  /^-{2,}\s*(Original Message|Forwarded message|Ursprüngliche Nachricht|Message d'origine)\s*-{2,}$/i,
  /^_{20,}$/,
  /^From:\s.+$/, // Outlook's header block when it comes without a rule above it
];

/** "On Tue, 3 Dec 2024 at 10:00, Bea <bea@example.com> wrote:", possibly wrapped over two lines. */
const WROTE =
  /^(On|Am|Le|El|Il|Op)\s.+(wrote|schrieb|a écrit|escribió|ha scritto|schreef)\s*:\s*$/i;

const SIGNATURE_DELIMITER = /^--\s?$/;
const MOBILE_SIGNATURES = [
  /^Sent from my \w[\w ]*$/i,
  /^Get Outlook for (iOS|Android)\s*$/i,
  /^Sent from (Mail|Outlook) for \w+\s*$/i,
  /^Von meinem \w[\w ]* gesendet$/i,
];

function historyStart(lines: readonly string[]): number {
  for (let i = 0; i < lines.length; i += 1) {
    const line = lines[i]!.trim();
    if (WROTE.test(line)) return i;
    // A wrapped "On …, Bea <bea@\nexample.com> wrote:".
    if (
      i + 1 < lines.length &&
      /^(On|Am|Le)\s/i.test(line) &&
      WROTE.test(`${line} ${lines[i + 1]!.trim()}`)
    )
      return i;
    // Outlook's From: only counts when a Sent:/Date: line follows it (a body may say "From: me").
    if (HISTORY_OPENERS.slice(0, 2).some((pattern) => pattern.test(line))) return i;
    if (HISTORY_OPENERS[2]!.test(line) && /^(Sent|Date|To):\s/i.test(lines[i + 1]?.trim() ?? ""))
      return i;
  }
  return lines.length;
}

/** Trims quoted history, trailing quoted lines and the signature; keeps interleaved quotes. */
export function readableText(text: string): string {
  let lines = text.replace(/\r\n?/g, "\n").split("\n");
  lines = lines.slice(0, historyStart(lines));
  const signature = lines.findIndex((line) => SIGNATURE_DELIMITER.test(line));
  if (signature >= 0) lines = lines.slice(0, signature);
  // A reply typed above the quote ("top posting") leaves only quoted lines below it.
  while (lines.length > 0 && (/^\s*>/.test(lines.at(-1)!) || lines.at(-1)!.trim() === ""))
    lines.pop();
  while (
    lines.length > 0 &&
    MOBILE_SIGNATURES.some((pattern) => pattern.test(lines.at(-1)!.trim()))
  )
    lines.pop();
  return lines
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}
