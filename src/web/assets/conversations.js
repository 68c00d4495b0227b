// Live agent activity on the conversations page: working / idle and each tool call of the
// current turn, as the orchestrator reports them.
import { formatTime } from "./app.js";

const panel = document.getElementById("activity");
if (panel) {
  const groupId = Number(panel.dataset.groupId);
  const status = document.getElementById("activity-status");
  const tools = document.getElementById("activity-tools");
  const label = document.getElementById("activity-tools-label");
  const badge = (text, tone) => {
    const span = document.createElement("span");
    span.className = "badge " + tone;
    span.textContent = text;
    return span;
  };
  let working = status.textContent.includes("working");
  const setWorking = (now) => {
    if (now && !working) tools.replaceChildren();
    working = now;
    status.replaceChildren(
      now ? badge("working", "") : badge("idle", "ok"),
      document.createTextNode(now ? " since " + formatTime(Date.now()) : ""),
    );
    label.textContent = now ? "Tools called in this turn:" : "Tools called in the last turn:";
    // A label with nothing under it reads as if something failed to load.
    label.hidden = tools.children.length === 0;
  };
  const events = new EventSource("/api/events");
  events.addEventListener("status", (event) => {
    const data = JSON.parse(event.data);
    if (data.groupId === groupId) setWorking(data.status === "working");
  });
  events.addEventListener("sessionClosed", (event) => {
    if (JSON.parse(event.data).groupId === groupId) setWorking(false);
  });
  events.addEventListener("activity", (event) => {
    const data = JSON.parse(event.data);
    if (data.groupId !== groupId) return;
    if (!working) setWorking(true);
    const item = document.createElement("li");
    item.textContent = data.tool + " ";
    const time = document.createElement("span");
    time.className = "hint";
    time.textContent = formatTime(data.at);
    item.appendChild(time);
    tools.appendChild(item);
    label.hidden = false;
  });
}
