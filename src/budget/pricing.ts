// What a model call cost, from the token counts the credential proxy recorded.
//
// USD per million tokens, standard (non-batch) API prices, looked up on 2026-11-25 from
// Anthropic's pricing page https://platform.claude.com/docs/en/about-claude/pricing and
// the model overview pages https://platform.claude.com/docs/en/models/<model>/overview
// (Opus 5.5, Opus 5, Sonnet 5.5, Sonnet 5, Haiku 5.5). Cache writes are the 5-minute
// writes Claude Code makes. Where sources disagreed (Sonnet 5.5 cache reads: $0.20 on its
// overview page, $0.10 in later third-party notes) the higher price is used.
//
// A model this table does not know (a new family or version, a gateway's alias) is priced
// at the highest rates in the table, so that a daily cap stops too early rather than too
// late; the admin page shows the cost, and a new row here fixes it.

/** USD per million tokens. */
export interface Rates {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

interface PriceRow {
  family: string;
  versions: string[];
  rates: Rates;
  /** Some models bill a whole request at higher rates once its prompt passes a size. */
  longPrompt?: { over: number; rates: Rates };
}

const rates = (input: number, output: number, cacheRead: number, cacheWrite: number): Rates => ({
  input,
  output,
  cacheRead,
  cacheWrite,
});

const PRICES: PriceRow[] = [
  { family: "fable", versions: ["5.1"], rates: rates(10, 50, 0.25, 12.5) },
  { family: "mythos", versions: ["5.1"], rates: rates(10, 50, 0.25, 12.5) },
  { family: "fable", versions: ["5"], rates: rates(10, 50, 1, 12.5) },
  { family: "mythos", versions: ["5"], rates: rates(10, 50, 1, 12.5) },
  { family: "opus", versions: ["5.5"], rates: rates(4, 20, 0.2, 5) },
  { family: "opus", versions: ["4.5", "4.6", "4.7", "4.8", "5"], rates: rates(5, 25, 0.5, 6.25) },
  { family: "opus", versions: ["3", "4", "4.1"], rates: rates(15, 75, 1.5, 18.75) },
  { family: "sonnet", versions: ["5", "5.5"], rates: rates(2, 10, 0.2, 2.5) },
  { family: "sonnet", versions: ["3.5", "3.7", "4.6"], rates: rates(3, 15, 0.3, 3.75) },
  {
    family: "sonnet",
    versions: ["4", "4.5"],
    rates: rates(3, 15, 0.3, 3.75),
    longPrompt: { over: 200_000, rates: rates(6, 22.5, 0.6, 7.5) },
  },
  {
    family: "haiku",
    versions: ["5.5"],
    rates: rates(0.1, 0.5, 0.01, 0.125),
    longPrompt: { over: 100_000, rates: rates(0.5, 2.5, 0.05, 0.625) },
  },
  { family: "haiku", versions: ["4.5"], rates: rates(1, 5, 0.1, 1.25) },
  { family: "haiku", versions: ["3.5"], rates: rates(0.8, 4, 0.08, 1) },
  { family: "haiku", versions: ["3"], rates: rates(0.25, 1.25, 0.03, 0.3) },
];

const allRates = PRICES.flatMap((row) => [
  row.rates,
  ...(row.longPrompt ? [row.longPrompt.rates] : []),
]);

/** What an unknown model is charged: the highest price of each kind in the table. */
export const UNKNOWN_MODEL_RATES: Rates = {
  input: Math.max(...allRates.map((r) => r.input)),
  output: Math.max(...allRates.map((r) => r.output)),
  cacheRead: Math.max(...allRates.map((r) => r.cacheRead)),
  cacheWrite: Math.max(...allRates.map((r) => r.cacheWrite)),
};

const FAMILIES = "opus|sonnet|haiku|fable|mythos";
// "claude-sonnet-4-5-20250929", "claude-opus-4-1", "claude-haiku-5-5[1m]" (family first) and
// "claude-3-5-sonnet-20241022", "claude-3-opus" (version first). A one- or two-digit number
// is a version part; an eight-digit date is not.
const FAMILY_FIRST = new RegExp(`(${FAMILIES})-(\\d{1,2})(?:-(\\d{1,2}))?(?!\\d)`);
const VERSION_FIRST = new RegExp(`claude-(\\d{1,2})(?:-(\\d{1,2}))?-(${FAMILIES})(?![a-z])`);

/** The family and version ("4.5", "3") a model id names, if it names one. */
export function modelVersion(model: string): { family: string; version: string } | undefined {
  const id = model.toLowerCase();
  const first = FAMILY_FIRST.exec(id);
  if (first)
    return { family: first[1]!, version: first[3] ? `${first[2]}.${first[3]}` : first[2]! };
  const late = VERSION_FIRST.exec(id);
  if (late) return { family: late[3]!, version: late[2] ? `${late[1]}.${late[2]}` : late[1]! };
  return undefined;
}

/** The rates a request to `model` with a prompt of `promptTokens` is billed at. */
export function ratesFor(model: string, promptTokens = 0): Rates {
  const named = modelVersion(model);
  const row =
    named &&
    PRICES.find((entry) => entry.family === named.family && entry.versions.includes(named.version));
  if (!row) return UNKNOWN_MODEL_RATES;
  return row.longPrompt && promptTokens > row.longPrompt.over ? row.longPrompt.rates : row.rates;
}

/** The price of one model response in USD. */
export function costUsd(model: string, tokens: TokenCounts): number {
  const prompt = tokens.inputTokens + tokens.cacheReadTokens + tokens.cacheWriteTokens;
  const r = ratesFor(model, prompt);
  return (
    (tokens.inputTokens * r.input +
      tokens.outputTokens * r.output +
      tokens.cacheReadTokens * r.cacheRead +
      tokens.cacheWriteTokens * r.cacheWrite) /
    1_000_000
  );
}
