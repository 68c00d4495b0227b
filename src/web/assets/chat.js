// The web chat: history from the API, replies and the assistant's working state live over
// SSE, Markdown rendered as DOM nodes (markdown.js), voice messages recorded in the browser.
// A reply being written grows in a bubble of its own (delta events) until the final message
// replaces it; Stop interrupts the running turn.
/* global MediaRecorder, navigator, FormData, Blob, Event */
import { api } from "./app.js";
import { renderMarkdown } from "./markdown.js";

const $ = (id) => document.getElementById(id);
const list = $("messages");
const text = $("text");
const status = $("chat-status");
const name = document.body.dataset.name;
let lastId = 0;

function attachmentLabel(attachment) {
  if (attachment.kind === "audio") return "🎤 voice message";
  return "📎 " + (attachment.fileName || attachment.kind);
}

// Only these show inline; the server sends every other type as an opaque download.
const INLINE_IMAGES = ["image/png", "image/jpeg", "image/gif", "image/webp"];

function size(bytes) {
  if (bytes >= 1048576) return (bytes / 1048576).toFixed(1) + " MB";
  return Math.max(1, Math.round(bytes / 1024)) + " KB";
}

/**
 * A file the agent sent: an image shown inline, anything else a download link; once its copy
 * is no longer kept (url null), the server's sentence saying so and for how long files are.
 */
function sentFile(attachment) {
  if (attachment.url === null) {
    const note = document.createElement("span");
    note.className = "attachment";
    note.textContent = "📎 " + attachment.removed;
    return note;
  }
  const link = document.createElement("a");
  link.className = "attachment";
  link.href = attachment.url;
  link.download = attachment.name;
  if (INLINE_IMAGES.includes(attachment.type)) {
    const image = document.createElement("img");
    image.className = "sent-image";
    image.src = attachment.url;
    image.alt = attachment.name;
    link.appendChild(image);
  } else link.textContent = "📎 " + attachment.name + " (" + size(attachment.size) + ")";
  return link;
}

function add(message) {
  if (list.querySelector('[data-id="' + message.id + '"]')) return;
  $("chat-empty").hidden = true;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  const div = document.createElement("div");
  div.className = "msg " + message.direction;
  div.dataset.id = String(message.id);
  if (message.direction === "out") div.appendChild(renderMarkdown(message.text));
  else div.textContent = message.text;
  for (const attachment of message.attachments || []) {
    if (attachment.url !== undefined) {
      div.appendChild(sentFile(attachment));
      continue;
    }
    const note = document.createElement("span");
    note.className = "attachment";
    note.textContent = attachmentLabel(attachment);
    div.appendChild(note);
  }
  if (message.direction === "out") clearLive();
  // Keep the order of the store even if a reply overtakes the answer to our own POST.
  const later = [...list.children].find((child) => Number(child.dataset.id) > message.id);
  list.insertBefore(div, later || null);
  if (nearBottom || message.direction === "in") list.scrollTop = list.scrollHeight;
  lastId = Math.max(lastId, message.id);
}

/** The reply being written: its id and text so far, shown in a bubble after the messages. */
let live = null;
function clearLive() {
  live?.div.remove();
  live = null;
}

function grow(delta) {
  if (!live || live.id !== delta.id) {
    clearLive();
    const div = document.createElement("div");
    div.className = "msg out live";
    div.setAttribute("aria-busy", "true");
    live = { id: delta.id, text: "", div };
    list.appendChild(div);
  }
  live.text = delta.reset !== undefined ? delta.reset : live.text + delta.text;
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 80;
  live.div.replaceChildren(renderMarkdown(live.text));
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

// An ask_user question: its text and one button per choice, until it is answered or ends.
function showQuestion(question) {
  if (list.querySelector('[data-question="' + question.id + '"]')) return;
  $("chat-empty").hidden = true;
  // After a reload the question is already in the history: its buttons go under it.
  const stored = list.querySelector('[data-id="' + question.messageId + '"]');
  const div = stored || document.createElement("div");
  div.dataset.question = question.id;
  if (!stored) {
    div.className = "msg out question";
    div.appendChild(renderMarkdown(question.text));
  }
  const buttons = document.createElement("div");
  buttons.className = "choices";
  for (const choice of question.choices) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = choice.label;
    button.addEventListener("click", async () => {
      for (const other of buttons.querySelectorAll("button")) other.disabled = true;
      const { ok, data } = await api("/api/chat/choices", {
        method: "POST",
        body: { choiceId: choice.id },
      });
      if (!ok) {
        $("send-error").textContent = data ? data.error : "sending failed";
        for (const other of buttons.querySelectorAll("button")) other.disabled = false;
      }
    });
    buttons.appendChild(button);
  }
  div.appendChild(buttons);
  if (!stored) list.appendChild(div);
  list.scrollTop = list.scrollHeight;
}

function closeQuestion(closed) {
  const buttons = list.querySelector('[data-question="' + closed.id + '"] .choices');
  if (buttons)
    buttons.replaceChildren(closed.answer === null ? "(no answer)" : "✓ " + closed.answer);
}

let tools = [];
let line = "";
function showStatus(working) {
  $("stop").hidden = !working;
  if (!working) {
    tools = [];
    line = "";
    status.textContent = "";
    clearLive();
    return;
  }
  status.textContent =
    name + " is " + (line || "working…") + (tools.length ? " (" + tools.join(", ") + ")" : "");
}

$("stop").addEventListener("click", async () => {
  const { ok, data } = await api("/api/chat/stop", { method: "POST" });
  if (!ok) $("send-error").textContent = data ? data.error : "stopping failed";
});

async function start() {
  const { data } = await api("/api/chat/messages?limit=100");
  data.messages.forEach(add);
  // A new chat greets and suggests a first message instead of showing a blank area.
  if (data.messages.length === 0) $("chat-empty").hidden = false;
  const events = new EventSource("/api/chat/events?lastEventId=" + lastId);
  events.addEventListener("message", (event) =>
    add({ ...JSON.parse(event.data), direction: "out" }),
  );
  events.addEventListener("status", (event) =>
    showStatus(JSON.parse(event.data).status === "working"),
  );
  events.addEventListener("activity", (event) => {
    const activity = JSON.parse(event.data);
    tools = [...tools.filter((tool) => tool !== activity.tool), activity.tool].slice(-4);
    line = activity.line || "";
    showStatus(true);
  });
  events.addEventListener("delta", (event) => grow(JSON.parse(event.data)));
  events.addEventListener("question", (event) => showQuestion(JSON.parse(event.data)));
  events.addEventListener("questionClosed", (event) => closeQuestion(JSON.parse(event.data)));
  // A 401 cannot be seen from EventSource; asking the API sends the browser to log in.
  events.addEventListener("error", () => api("/api/status").catch(() => undefined));
  text.focus();
}

async function send(body, shown) {
  $("send-error").textContent = "";
  const { ok, data } = await api("/api/chat/messages", { method: "POST", body });
  if (!ok) {
    $("send-error").textContent = data ? data.error : "sending failed";
    return false;
  }
  add({ id: data.id, direction: "in", ...shown });
  return true;
}

$("composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = text.value.trim();
  if (!message) return;
  if (await send({ text: message }, { text: message })) {
    text.value = "";
    text.style.height = "";
  }
});

for (const suggestion of document.querySelectorAll(".suggestion")) {
  // Fills the composer rather than sending, so the words can be changed first.
  suggestion.addEventListener("click", () => {
    text.value = suggestion.textContent.trim();
    text.dispatchEvent(new Event("input"));
    text.focus();
  });
}

text.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $("composer").requestSubmit();
  }
});
text.addEventListener("input", () => {
  text.style.height = "auto";
  text.style.height = Math.min(text.scrollHeight, 160) + "px";
});

const EXTENSIONS = {
  "audio/webm": "webm",
  "audio/ogg": "ogg",
  "audio/mp4": "m4a",
  "audio/mpeg": "mp3",
};
const record = $("record");
let recorder;

async function startRecording() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  const chunks = [];
  const startedAt = Date.now();
  recorder = new MediaRecorder(stream);
  recorder.addEventListener("dataavailable", (event) => chunks.push(event.data));
  recorder.addEventListener("stop", async () => {
    stream.getTracks().forEach((track) => track.stop());
    const type = (recorder.mimeType || "audio/webm").split(";")[0];
    recorder = undefined;
    const form = new FormData();
    form.append("audio", new Blob(chunks, { type }), "voice." + (EXTENSIONS[type] || "webm"));
    form.append("durationSeconds", String(Math.round((Date.now() - startedAt) / 100) / 10));
    const caption = text.value.trim();
    if (caption) form.append("text", caption);
    if (await send(form, { text: caption, attachments: [{ kind: "audio" }] })) text.value = "";
  });
  recorder.start();
  record.setAttribute("aria-pressed", "true");
  record.lastChild.textContent = " Stop recording";
  status.textContent = "Recording… press the microphone again to send.";
}

record.addEventListener("click", async () => {
  if (recorder) {
    recorder.stop();
    record.setAttribute("aria-pressed", "false");
    record.lastChild.textContent = " Record";
    status.textContent = "";
    return;
  }
  if (!navigator.mediaDevices || typeof MediaRecorder === "undefined") {
    $("send-error").textContent = "This browser cannot record audio here (it needs HTTPS).";
    return;
  }
  startRecording().catch((error) => {
    $("send-error").textContent = "Could not record: " + error.message;
  });
});

start();
