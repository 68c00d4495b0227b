// Splits a long Markdown reply into chunks that fit a channel's message limit.
// Cuts prefer paragraph, then line, then word boundaries; a code block cut in two is
// closed at the end of one chunk and reopened (with its language) at the start of the next,
// so each chunk renders on its own.

const FENCE = /^\s*(`{3,}|~{3,})(.*)$/;
// The info string is repeated on every continued chunk; only its language word is needed.
const MAX_INFO_CHARS = 20;

interface OpenFence {
  marker: string;
  info: string;
}

function openFenceAtEnd(text: string, initial: OpenFence | null): OpenFence | null {
  let open = initial;
  for (const line of text.split("\n")) {
    const match = FENCE.exec(line);
    if (!match) continue;
    const marker = match[1] ?? "```";
    if (open === null) {
      const info = (match[2] ?? "").trim().split(/\s+/)[0] ?? "";
      open = { marker, info: info.slice(0, MAX_INFO_CHARS) };
    } else if (
      marker[0] === open.marker[0] &&
      marker.length >= open.marker.length &&
      !match[2]?.trim()
    ) {
      open = null;
    }
  }
  return open;
}

function cutPoint(text: string, max: number): number {
  const window = text.slice(0, max + 1);
  for (const separator of ["\n\n", "\n", " "]) {
    const at = window.lastIndexOf(separator, max);
    if (at > max / 3) return at;
  }
  return max;
}

export function splitMessage(text: string, limit: number): string[] {
  if (limit < 32) throw new RangeError(`split limit ${limit} is too small`);
  const chunks: string[] = [];
  let rest = text;
  let carried: OpenFence | null = null;
  while (rest.length > 0) {
    if (carried) {
      // The carried block closes right here: drop its fence instead of sending an empty block.
      const firstLine = rest.split("\n", 1)[0] ?? "";
      const match = FENCE.exec(firstLine);
      if (
        match &&
        match[1]?.[0] === carried.marker[0] &&
        (match[1]?.length ?? 0) >= carried.marker.length
      ) {
        rest = rest.slice(firstLine.length).replace(/^[ \n]+/, "");
        carried = null;
        continue;
      }
    }
    const prefix: string = carried ? `${carried.marker}${carried.info}\n` : "";
    const budget = limit - prefix.length;
    if (prefix.length + rest.length <= limit) {
      chunks.push(prefix + rest);
      break;
    }
    // Reserve room for a closing fence in case this chunk ends inside a code block.
    const closing = `\n${carried?.marker ?? "```"}`;
    const at = cutPoint(rest, budget - closing.length);
    const body = rest.slice(0, at).trimEnd();
    const open = openFenceAtEnd(body, carried);
    chunks.push(prefix + body + (open ? `\n${open.marker}` : ""));
    carried = open;
    // Inside a code block, leading spaces are indentation and must survive the cut.
    rest = open
      ? rest.slice(at + (rest[at] === "\n" || rest[at] === " " ? 1 : 0))
      : rest.slice(at).replace(/^[ \n]+/, "");
  }
  return chunks.filter((chunk) => chunk.trim().length > 0);
}
