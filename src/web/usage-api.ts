// /api/usage/daily and /api/budget: tokens and cost per group per day (in the service's
// time zone) for the admin page's chart, cost per model over those days, and the daily spend caps it edits.
import { Hono } from "hono";
import { z } from "zod";
import type { Config } from "../config.ts";
import { transaction, type Db } from "../store/db.ts";
import { listGroupBudgets, setGroupDailyBudget, type GroupBudgetRow } from "../store/settings.ts";
import { dailyUsage, spendOnDayOf, usageByModel } from "../budget/spend.ts";
import { overallCap, resetOverallCap, setOverallCap } from "../budget/budget.ts";
import { readJsonBody } from "./json-body.ts";

const MAX_DAYS = 366;

const dollars = z
  .number({ error: "expected a number of US dollars or null" })
  .refine((usd) => Number.isFinite(usd) && usd > 0, {
    message: "expected a positive number of US dollars (null removes the cap)",
  })
  .nullable();

const budgetBody = z
  .object({
    dailyUsd: dollars.optional(),
    /** Back to DAILY_BUDGET_USD (or no cap when it is unset). */
    useDefault: z.literal(true).optional(),
    groups: z.record(z.string(), dollars).optional(),
  })
  .strict()
  .refine((body) => !(body.useDefault && body.dailyUsd !== undefined), {
    message: "send either dailyUsd or useDefault, not both",
  });

/** Sums of tiny per-call costs carry float noise (0.30000000000000004); a micro-dollar is plenty. */
function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** Usage of a group deleted since, or not tied to one, still shows (and still cost money). */
function describe(groups: Map<number, GroupBudgetRow>, groupId: number | null) {
  const group = groupId === null ? undefined : groups.get(groupId);
  if (group) return { folder: group.folder, name: group.name };
  return groupId === null
    ? { folder: "#none", name: "No group" }
    : { folder: `#${groupId}`, name: `Deleted group ${groupId}` };
}

export function usageRoutes(options: { db: Db; config: Config }) {
  const { db, config } = options;
  const timeZone = config.TZ;

  const budgetView = () => {
    const overall = overallCap(db, config.DAILY_BUDGET_USD);
    return {
      timeZone,
      dailyUsd: overall.usd,
      source: overall.source,
      defaultDailyUsd: config.DAILY_BUDGET_USD ?? null,
      groups: listGroupBudgets(db).map((group) => ({
        folder: group.folder,
        name: group.name,
        dailyUsd: group.dailyUsd,
      })),
    };
  };

  return new Hono()
    .get("/api/usage/daily", (c) => {
      const raw = c.req.query("days") ?? "14";
      const days = /^\d+$/.test(raw) ? Number(raw) : NaN;
      if (!(days >= 1 && days <= MAX_DAYS))
        return c.json({ error: `days: expected a whole number from 1 to ${MAX_DAYS}` }, 400);
      const now = Date.now();
      const groups = new Map(listGroupBudgets(db).map((group) => [group.id, group]));
      const spend = spendOnDayOf(db, timeZone, now);
      const overall = overallCap(db, config.DAILY_BUDGET_USD);
      const todayGroups = new Set<number | null>([...groups.keys(), ...spend.byGroup.keys()]);
      return c.json({
        timeZone,
        days: dailyUsage(db, { timeZone, days, now }).map((day) => ({
          day: day.day,
          groups: day.groups.map((usage) => ({
            ...describe(groups, usage.groupId),
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
            cacheReadTokens: usage.cacheReadTokens,
            cacheWriteTokens: usage.cacheWriteTokens,
            costUsd: round(usage.costUsd),
          })),
          totalUsd: round(day.totalUsd),
        })),
        models: usageByModel(db, { timeZone, days, now }).map((usage) => ({
          ...usage,
          costUsd: round(usage.costUsd),
        })),
        today: {
          spentUsd: round(spend.totalUsd),
          capUsd: overall.usd,
          groups: [...todayGroups].map((groupId) => ({
            folder: describe(groups, groupId).folder,
            spentUsd: round(spend.byGroup.get(groupId) ?? 0),
            capUsd: groupId === null ? null : (groups.get(groupId)?.dailyUsd ?? null),
          })),
        },
      });
    })
    .get("/api/budget", (c) => c.json(budgetView()))
    .put("/api/budget", async (c) => {
      const body = await readJsonBody(c, budgetBody);
      if ("error" in body) return c.json({ error: body.error }, body.status);
      const { dailyUsd, useDefault, groups = {} } = body.value;
      const byFolder = new Map(listGroupBudgets(db).map((group) => [group.folder, group]));
      const unknown = Object.keys(groups).filter((folder) => !byFolder.has(folder));
      if (unknown.length > 0) {
        return c.json(
          { error: `groups: no group with folder ${unknown.map((f) => `"${f}"`).join(", ")}` },
          400,
        );
      }
      transaction(db, () => {
        if (useDefault) resetOverallCap(db);
        else if (dailyUsd !== undefined) setOverallCap(db, dailyUsd);
        for (const [folder, usd] of Object.entries(groups))
          setGroupDailyBudget(db, byFolder.get(folder)!.id, usd);
      });
      return c.json(budgetView());
    });
}
