// Daily spend caps: one overall (DAILY_BUDGET_USD, overridable from the admin UI) and one
// per group. The credential proxy asks before forwarding each model call; once what it
// has recorded for today (in the service's time zone) reaches a cap, calls are refused
// until the next day. A call already running is never cut off: its cost counts once its
// usage is recorded, so spend can end a little above the cap.
import type { Db } from "../store/db.ts";
import { getGroup } from "../store/groups.ts";
import { deleteSetting, getGroupDailyBudget, getSetting, setSetting } from "../store/settings.ts";
import { lastUsageId, usageAfter, usageBetween } from "../store/usage.ts";
import { addSpend, type Spend } from "./spend.ts";
import { dayBounds, dayOf, type DayBounds } from "../time/day.ts";

const OVERALL_KEY = "daily_budget_usd";
const NO_CAP = "none";
const NOTICE_KEY = "budget_notice_day:";

export interface OverallCap {
  usd: number | null;
  /** Where the cap comes from: set in the admin UI, DAILY_BUDGET_USD, or nowhere. */
  source: "settings" | "env" | "none";
}

/** The admin UI's setting wins over DAILY_BUDGET_USD, including an explicit "no cap". */
export function overallCap(db: Db, envUsd: number | undefined): OverallCap {
  const stored = getSetting(db, OVERALL_KEY);
  if (stored === NO_CAP) return { usd: null, source: "settings" };
  const usd = Number(stored);
  if (stored !== undefined && Number.isFinite(usd) && usd > 0) return { usd, source: "settings" };
  return envUsd === undefined ? { usd: null, source: "none" } : { usd: envUsd, source: "env" };
}

export function setOverallCap(db: Db, usd: number | null): void {
  setSetting(db, OVERALL_KEY, usd === null ? NO_CAP : String(usd));
}

/** Drops the admin UI's setting so DAILY_BUDGET_USD applies again. */
export function resetOverallCap(db: Db): void {
  deleteSetting(db, OVERALL_KEY);
}

export function formatUsd(usd: number): string {
  // A tiny cap must not read as "$0.00".
  return usd > 0 && usd < 0.01 ? `$${Number(usd.toPrecision(2))}` : `$${usd.toFixed(2)}`;
}

export function refusalText(options: {
  capUsd: number;
  spentUsd: number;
  scope: string;
  timeZone: string;
}): string {
  return `Daily budget of ${formatUsd(options.capUsd)} reached for ${options.scope} (spent ${formatUsd(options.spentUsd)} today); model calls resume at midnight ${options.timeZone}.`;
}

const REFUSAL_PATTERN =
  /Daily budget of \$[\d.e-]+ reached for .*? \(spent \$[\d.e-]+ today\); model calls resume at midnight \S+?\./;

/** The budget refusal inside an error text (the CLI wraps it in "API Error: 403 …"), if any. */
export function budgetRefusalIn(text: string): string | undefined {
  return REFUSAL_PATTERN.exec(text)?.[0];
}

/**
 * True the first time it is called for a group on a calendar day, false after: the chat
 * is told about the budget once a day. Kept in the store so a restart does not repeat it.
 */
export function firstNoticeToday(
  db: Db,
  groupId: number,
  timeZone: string,
  now = Date.now(),
): boolean {
  const today = dayOf(now, timeZone);
  if (getSetting(db, `${NOTICE_KEY}${groupId}`) === today) return false;
  setSetting(db, `${NOTICE_KEY}${groupId}`, today, now);
  return true;
}

export interface BudgetOptions {
  db: Db;
  timeZone: string;
  /** DAILY_BUDGET_USD. */
  defaultDailyUsd: number | undefined;
  now?: () => number;
}

export class Budget {
  private readonly options: BudgetOptions;
  private today: (DayBounds & Spend & { lastId: number }) | undefined;

  constructor(options: BudgetOptions) {
    this.options = options;
  }

  /** Why a model call for this group must not go out now, or undefined when it may. */
  refusal(groupId: number): string | undefined {
    const { db, timeZone } = this.options;
    const spend = this.spendToday();
    const overall = overallCap(db, this.options.defaultDailyUsd).usd;
    if (overall !== null && spend.totalUsd >= overall) {
      return refusalText({
        capUsd: overall,
        spentUsd: spend.totalUsd,
        scope: "all chats",
        timeZone,
      });
    }
    const own = getGroupDailyBudget(db, groupId);
    const spent = spend.byGroup.get(groupId) ?? 0;
    if (own !== null && spent >= own) {
      const scope = getGroup(db, groupId)?.name ?? `group ${groupId}`;
      return refusalText({ capUsd: own, spentUsd: spent, scope, timeZone });
    }
    return undefined;
  }

  /**
   * Today's spend, read incrementally: a new day starts from that day's rows, after that
   * only rows recorded since the last look are added (the proxy asks on every call).
   */
  spendToday(): Spend {
    const { db, timeZone } = this.options;
    const now = this.options.now?.() ?? Date.now();
    let today = this.today;
    if (!today || now < today.start || now >= today.end) {
      const lastId = lastUsageId(db);
      const bounds = dayBounds(dayOf(now, timeZone), timeZone);
      today = { ...bounds, totalUsd: 0, byGroup: new Map(), lastId };
      addSpend(today, usageBetween(db, bounds.start, bounds.end));
      this.today = today;
      return today;
    }
    const rows = usageAfter(db, today.lastId);
    if (rows.length === 0) return today;
    today.lastId = rows.at(-1)!.id;
    const { start, end } = today;
    addSpend(
      today,
      rows.filter((row) => row.at >= start && row.at < end),
    );
    return today;
  }
}
