// The setup page's live parts: verifying the credential, channel states as they change
// (a WhatsApp QR code refreshes itself), and making a new admin token.
import { api, formatTime } from "./app.js";

const $ = (id) => document.getElementById(id);
const STATUS = {
  connected: ["connected", "ok"],
  connecting: ["connecting", ""],
  pairing: ["waiting for pairing", ""],
  reconnecting: ["reconnecting", ""],
  auth_failed: ["auth failed", "bad"],
  logged_out: ["logged out", "bad"],
  not_configured: ["not configured", ""],
  stopped: ["stopped", "bad"],
};

function badge(text, tone) {
  const span = document.createElement("span");
  span.className = "badge " + tone;
  span.textContent = text;
  return span;
}

async function verify() {
  const button = $("verify");
  const result = $("verify-result");
  button.disabled = true;
  result.replaceChildren(badge("verifying…", ""));
  try {
    const { ok, data } = await api("/api/setup/verify", { method: "POST" });
    if (!ok) result.replaceChildren(badge("failed: " + ((data && data.error) || "error"), "bad"));
    else if (data.ok) result.replaceChildren(badge("verified with " + data.model, "ok"));
    else result.replaceChildren(badge("failed: " + data.error, "bad"));
    result.dataset.checked = "yes";
  } finally {
    button.disabled = false;
  }
}

// Absent when no credential is set (nothing to verify).
if ($("verify")) {
  $("verify").addEventListener("click", verify);
  if ($("verify-result").dataset.checked === "no") verify();
}

function updateChannel(channel) {
  let row = $("channel-" + channel.name);
  if (!row) {
    row = document.createElement("tr");
    row.id = "channel-" + channel.name;
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = channel.name;
    row.append(
      name,
      document.createElement("td"),
      document.createElement("td"),
      document.createElement("td"),
    );
    row.children[1].className = "status";
    row.children[2].className = "detail";
    row.children[3].className = "since";
    $("channel-rows").appendChild(row);
  }
  row.dataset.status = channel.status;
  const [text, tone] = STATUS[channel.status] || [channel.status, ""];
  row.querySelector(".status").replaceChildren(badge(text, tone));
  const detail = row.querySelector(".detail");
  const words = document.createElement("span");
  words.className = "wrap";
  words.textContent = channel.detail || "";
  detail.replaceChildren(words);
  if (channel.qr) {
    const box = document.createElement("div");
    box.className = "qr";
    const image = document.createElement("img");
    image.alt = "WhatsApp link QR code";
    image.src = "/api/setup/whatsapp-qr.svg?at=" + channel.since;
    box.appendChild(image);
    detail.appendChild(box);
  }
  row.querySelector(".since").textContent = formatTime(channel.since);
}

const events = new EventSource("/api/events");
events.addEventListener("channelState", (event) => updateChannel(JSON.parse(event.data)));
// A change between rendering this page and the stream opening (a channel connecting right
// after its token was saved) has no event left to come: read the states once the stream is up.
events.addEventListener("open", async () => {
  const { ok, data } = await api("/api/setup");
  if (ok) for (const channel of data.channels) updateChannel(channel);
});
events.addEventListener("error", () => api("/api/setup").catch(() => undefined));

$("rotate").addEventListener("click", async () => {
  if (!window.confirm("Make a new admin token? The old one stops working at once.")) return;
  const { ok, data } = await api("/api/token/rotate", { method: "POST" });
  if (!ok) {
    $("page-error").textContent = (data && data.error) || "could not make a new token";
    return;
  }
  // This page's session was renewed with the new token; its CSRF token changed with it.
  document.querySelector('meta[name="pincer-csrf"]').setAttribute("content", data.csrf);
  const shown = $("new-token");
  shown.querySelector("code").textContent = data.token;
  shown.hidden = false;
});

// The pairing code is single-use and expires: show the current one when the owner comes back.
window.addEventListener("focus", async () => {
  const { ok, data } = await api("/api/setup");
  if (!ok) return;
  $("pairing-code").textContent = "/pair " + data.mainChat.pairingCode;
  $("pairing-expires").textContent = formatTime(data.mainChat.pairingExpiresAt);
});
