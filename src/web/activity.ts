// What each group's agent is doing in its current (or last) turn: working or idle, and
// the tools it called, for pages that open in the middle of a turn.
import type { CoreView, GroupStatus } from "../core/status-port.ts";

export interface GroupActivity {
  groupId: number;
  status: GroupStatus;
  /** Tools called in this turn (or the last one, when idle), oldest first. */
  tools: { name: string; at: number }[];
  /** When the turn started, or when the group went idle. */
  since: number;
}

const MAX_TOOLS = 50;

export class ActivityTracker {
  private readonly groups = new Map<number, GroupActivity>();

  constructor(orchestrator: CoreView) {
    orchestrator.on("status", (groupId, status) => this.setStatus(groupId, status));
    orchestrator.on("sessionClosed", (groupId) => this.setStatus(groupId, "idle"));
    orchestrator.on("activity", (groupId, name) => {
      const current = this.get(groupId);
      if (current.status !== "working") this.setStatus(groupId, "working");
      const tools = this.get(groupId).tools;
      tools.push({ name, at: Date.now() });
      if (tools.length > MAX_TOOLS) tools.splice(0, tools.length - MAX_TOOLS);
    });
  }

  get(groupId: number): GroupActivity {
    return this.groups.get(groupId) ?? { groupId, status: "idle", tools: [], since: 0 };
  }

  all(): GroupActivity[] {
    return [...this.groups.values()];
  }

  private setStatus(groupId: number, status: GroupStatus): void {
    const current = this.get(groupId);
    if (current.status === status) return;
    this.groups.set(groupId, {
      groupId,
      status,
      tools: status === "working" ? [] : current.tools,
      since: Date.now(),
    });
  }
}
