// The web chat page: one self-contained HTML document (no CDN, no build step). Message
// text is only ever put into the DOM as text, never as HTML.
function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

const STYLE = `
:root { color-scheme: light dark; --bg: #f6f7f9; --fg: #16181d; --muted: #5b6270; --me: #dbeafe; --bot: #ffffff; --line: #d5d9e0; --accent: #1d4ed8; --warn: #92400e; --warnbg: #fef3c7; }
@media (prefers-color-scheme: dark) { :root { --bg: #111318; --fg: #e8eaee; --muted: #a0a6b2; --me: #1e3a8a; --bot: #1c1f26; --line: #2c313b; --accent: #93c5fd; --warn: #fde68a; --warnbg: #3b2f0b; } }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, sans-serif; background: var(--bg); color: var(--fg); height: 100dvh; display: flex; flex-direction: column; }
header { padding: .6rem 1rem; border-bottom: 1px solid var(--line); display: flex; align-items: center; gap: .75rem; }
header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
#status { color: var(--muted); font-size: .9rem; }
.banner { background: var(--warnbg); color: var(--warn); padding: .6rem 1rem; border-bottom: 1px solid var(--line); }
main { flex: 1; overflow-y: auto; padding: 1rem; display: flex; flex-direction: column; gap: .5rem; }
.msg { max-width: min(42rem, 85%); padding: .5rem .75rem; border-radius: .75rem; white-space: pre-wrap; overflow-wrap: anywhere; border: 1px solid var(--line); }
.msg.in { align-self: flex-end; background: var(--me); }
.msg.out { align-self: flex-start; background: var(--bot); }
form.composer { display: flex; gap: .5rem; padding: .75rem; border-top: 1px solid var(--line); }
textarea { flex: 1; resize: none; font: inherit; padding: .5rem; border-radius: .5rem; border: 1px solid var(--line); background: var(--bot); color: var(--fg); min-height: 2.75rem; max-height: 10rem; }
button { font: inherit; padding: .5rem 1rem; border-radius: .5rem; border: 0; background: var(--accent); color: var(--bg); cursor: pointer; }
#login { margin: auto; display: flex; flex-direction: column; gap: .5rem; width: min(24rem, 90%); }
#login input { font: inherit; padding: .5rem; border-radius: .5rem; border: 1px solid var(--line); }
.error { color: #dc2626; min-height: 1.2em; }
[hidden] { display: none !important; }
details.tasks { border-bottom: 1px solid var(--line); padding: .4rem 1rem; }
details.tasks summary { cursor: pointer; color: var(--muted); }
details.tasks table { width: 100%; border-collapse: collapse; font-size: .9rem; margin-top: .4rem; }
details.tasks td, details.tasks th { text-align: left; padding: .25rem .4rem; border-top: 1px solid var(--line); vertical-align: top; }
details.tasks button { padding: .2rem .5rem; font-size: .85rem; }
`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const log = $("messages");
let lastId = 0;
function add(message) {
  if (document.querySelector('[data-id="' + message.id + '"]')) return;
  const div = document.createElement("div");
  div.className = "msg " + message.direction;
  div.dataset.id = String(message.id);
  div.textContent = message.text;
  log.appendChild(div);
  log.scrollTop = log.scrollHeight;
  lastId = Math.max(lastId, message.id);
}
async function api(path, init) {
  const response = await fetch(path, { credentials: "same-origin", ...init, headers: { "content-type": "application/json", ...(init && init.headers) } });
  if (response.status === 401) { showLogin(); throw new Error("login required"); }
  return response;
}
function showLogin() { $("login").hidden = false; $("chat").hidden = true; }
async function showChat() {
  $("login").hidden = true; $("chat").hidden = false;
  const response = await api("/api/chat/messages?limit=100");
  const { messages } = await response.json();
  messages.forEach(add);
  const events = new EventSource("/api/chat/events?lastEventId=" + lastId);
  events.addEventListener("message", (event) => add({ ...JSON.parse(event.data), direction: "out" }));
  events.addEventListener("status", (event) => {
    const { status } = JSON.parse(event.data);
    $("status").textContent = status === "working" ? document.body.dataset.name + " is working…" : "";
  });
  $("text").focus();
  loadTasks();
}
$("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const response = await fetch("/api/login", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ token: $("token").value }) });
  if (response.ok) showChat(); else $("login-error").textContent = (await response.json()).error;
});
$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  $("send-error").textContent = "";
  const response = await api("/api/chat/messages", { method: "POST", body: JSON.stringify({ text }) });
  if (!response.ok) { $("send-error").textContent = (await response.json()).error; return; }
  const { id } = await response.json();
  $("text").value = "";
  add({ id, direction: "in", text });
});
$("text").addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); $("composer").requestSubmit(); }
});
function cell(row, text) {
  const td = document.createElement("td");
  td.textContent = text;
  row.appendChild(td);
  return td;
}
async function loadTasks() {
  const { tasks } = await (await api("/api/tasks")).json();
  const body = $("task-rows");
  body.replaceChildren();
  $("task-count").textContent = String(tasks.filter((t) => t.status === "active").length);
  for (const task of tasks) {
    const row = document.createElement("tr");
    cell(row, "#" + task.id + " " + task.prompt);
    cell(row, task.schedule);
    cell(row, task.nextRunAt ? new Date(task.nextRunAt).toLocaleString() : "—");
    cell(row, task.lastResult || "—");
    cell(row, task.status);
    const actions = cell(row, "");
    const verbs = task.status === "active" ? ["pause", "cancel"] : task.status === "paused" ? ["resume", "cancel"] : [];
    for (const verb of verbs) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = verb;
      button.addEventListener("click", async () => {
        await api("/api/tasks/" + task.id + "/" + verb, { method: "POST" });
        loadTasks();
      });
      actions.appendChild(button);
    }
    body.appendChild(row);
  }
}
$("tasks").addEventListener("toggle", () => { if ($("tasks").open) loadTasks(); });
api("/api/status").then(showChat, () => {});
`;

export function chatPage(options: {
  assistantName: string;
  credentialProblem: string | undefined;
}): string {
  const name = escapeHtml(options.assistantName);
  const banner = options.credentialProblem
    ? `<div class="banner" role="alert">${escapeHtml(options.credentialProblem)}</div>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} · Pincer</title>
<style>${STYLE}</style>
</head>
<body data-name="${name}">
<header><h1>${name}</h1><span id="status" aria-live="polite"></span></header>
${banner}
<form id="login" hidden>
  <label for="token">Admin token</label>
  <input id="token" type="password" autocomplete="current-password" required>
  <button type="submit">Log in</button>
  <div id="login-error" class="error" role="alert"></div>
</form>
<div id="chat" hidden style="display:contents">
  <details id="tasks" class="tasks">
    <summary>Scheduled tasks (<span id="task-count">…</span> active)</summary>
    <table>
      <thead><tr><th>Task</th><th>Schedule</th><th>Next run</th><th>Last result</th><th>Status</th><th></th></tr></thead>
      <tbody id="task-rows"></tbody>
    </table>
  </details>
  <main id="messages" aria-live="polite" aria-label="Conversation"></main>
  <div id="send-error" class="error" role="alert"></div>
  <form id="composer" class="composer">
    <label for="text" hidden>Message</label>
    <textarea id="text" rows="1" placeholder="Message ${name}… (Enter sends, Shift+Enter for a new line)"></textarea>
    <button type="submit">Send</button>
  </form>
</div>
<script>${SCRIPT}</script>
</body>
</html>`;
}
