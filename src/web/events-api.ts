// /api/events and /api/activity: what the admin pages show live. Each group's agent state
// (working / idle and the tools of the current turn) and each channel's connection state.
import { Hono } from "hono";
import type { ChannelState } from "../channels/channel.ts";
import type { CoreView, GroupStatus } from "../core/status-port.ts";
import type { Db } from "../store/db.ts";
import { getGroup } from "../store/groups.ts";
import type { ActivityTracker, GroupActivity } from "./activity.ts";
import { channelReport } from "./setup-api.ts";
import { eventStream } from "./sse.ts";

export function activityView(db: Db, activity: GroupActivity) {
  return { folder: getGroup(db, activity.groupId)?.folder ?? null, ...activity };
}

export function eventRoutes(deps: { db: Db; orchestrator: CoreView; activity: ActivityTracker }) {
  const { db, orchestrator, activity } = deps;
  const folderOf = (groupId: number) => getGroup(db, groupId)?.folder ?? null;

  return new Hono()
    .get("/api/activity", (c) =>
      c.json({ groups: activity.all().map((entry) => activityView(db, entry)) }),
    )
    .get("/api/events", (c) =>
      eventStream(c, (queue) => {
        const onStatus = (groupId: number, status: GroupStatus) =>
          queue.send("status", { groupId, folder: folderOf(groupId), status });
        const onActivity = (groupId: number, tool: string) =>
          queue.send("activity", { groupId, folder: folderOf(groupId), tool, at: Date.now() });
        const onClosed = (groupId: number) =>
          queue.send("sessionClosed", { groupId, folder: folderOf(groupId) });
        const onChannel = (name: string, state: ChannelState) =>
          queue.send("channelState", channelReport(name, state));
        orchestrator.on("status", onStatus);
        orchestrator.on("activity", onActivity);
        orchestrator.on("sessionClosed", onClosed);
        orchestrator.on("channelState", onChannel);
        queue.send("hello", { at: Date.now() });
        return () => {
          orchestrator.off("status", onStatus);
          orchestrator.off("activity", onActivity);
          orchestrator.off("sessionClosed", onClosed);
          orchestrator.off("channelState", onChannel);
        };
      }),
    );
}
