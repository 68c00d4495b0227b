// The MCP page: adding a server from its .mcp.json entry, setting a secret (its value
// goes to the API and is never shown again), the tools a "Test" found, and "Connect",
// which sends the browser to a remote server's sign-in page.
import { api } from "./app.js";
/* global location */

function fail(form, message) {
  const target = form.querySelector(".form-error");
  target.textContent = message;
  target.focus();
}

document.getElementById("mcp-add")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  let entry;
  try {
    entry = JSON.parse(form.elements.entry.value);
  } catch (error) {
    return fail(form, `The entry is not JSON: ${error.message}`);
  }
  if (!entry || typeof entry !== "object" || Array.isArray(entry))
    return fail(form, 'The entry must be one JSON object, e.g. {"type": "http", "url": "…"}');
  const group = form.elements.group.value;
  const body = { ...entry, name: form.elements.name.value, ...(group ? { group } : {}) };
  const { ok, data } = await api("/api/mcp-servers", { method: "POST", body });
  if (!ok) return fail(form, (data && data.error) || "failed");
  location.reload();
});

for (const form of document.querySelectorAll("form.mcp-edit")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let entry;
    try {
      entry = JSON.parse(form.elements.entry.value);
    } catch (error) {
      return fail(form, `The entry is not JSON: ${error.message}`);
    }
    const path = `/api/mcp-servers/${encodeURIComponent(form.dataset.name)}`;
    const { ok, data } = await api(path, { method: "PATCH", body: entry });
    if (!ok) return fail(form, (data && data.error) || "failed");
    location.reload();
  });
}

document.getElementById("mcp-secret")?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const name = form.elements.name.value.trim();
  const { ok, data } = await api(`/api/mcp-secrets/${encodeURIComponent(name)}`, {
    method: "PUT",
    body: { value: form.elements.value.value },
  });
  if (!ok) return fail(form, (data && data.error) || "failed");
  location.reload();
});

document.addEventListener("api-done", (event) => {
  const button = event.target;
  if (button.classList?.contains("mcp-connect")) {
    // Off to the provider's sign-in page; it sends the browser back to Pincer.
    if (event.detail.authorizationUrl) location.assign(event.detail.authorizationUrl);
    else location.reload();
    return;
  }
  if (!button.classList?.contains("mcp-test")) return;
  const output = button.closest("section").querySelector(".mcp-tools");
  const tools = event.detail.tools || [];
  output.textContent =
    tools.length === 0
      ? "Reachable; it offers no tools."
      : `Reachable; it offers: ${tools.map((tool) => tool.name).join(", ")}`;
});
