// MCP servers: each one's state (connected, needs sign-in, failing with the reason,
// waiting for approval), where it sends which secrets, its calls, tools and allow-list;
// test / approve / remove; adding one from a .mcp.json entry; the secrets, masked.
import type { serverView } from "../../mcp/servers.ts";
import { html, type Html } from "./html.ts";
import { layout, type PageContext } from "./layout.ts";

type ServerView = ReturnType<typeof serverView>;

export interface SecretView {
  name: string;
  value: string;
  usedBy: string[];
}

const STATUS_TEXT: Record<string, [string, string]> = {
  connected: ["connected", " ok"],
  needs_sign_in: ["needs sign-in", " bad"],
  failing: ["failing", " bad"],
  pending_approval: ["waiting for approval", ""],
  not_connected: ["not connected yet", ""],
};

function target(server: ServerView): string {
  const entry = server.entry;
  if (!entry) return "(unreadable entry)";
  if (entry.type === "stdio") return [entry.command, ...(entry.args ?? [])].join(" ");
  return entry.url;
}

function serverCard(server: ServerView): Html {
  const id = `mcp-${server.name}`;
  const [label, tone] = STATUS_TEXT[server.status] ?? [server.status, ""];
  const entry = server.entry;
  return html`<section class="card" id="${id}" aria-labelledby="${id}-title">
    <h2 id="${id}-title">${server.name} <span class="badge${tone}">${label}</span></h2>
    ${server.detail ? html`<p class="${tone === " bad" ? "error" : "hint"}">${server.detail}</p>` : ""}
    <dl>
      <dt>For</dt>
      <dd>${server.group ?? "every group"}</dd>
      <dt>${entry?.type ?? "?"}</dt>
      <dd><code class="wrap">${target(server)}</code></dd>
      <dt>Secrets it receives</dt>
      <dd>
        ${server.secrets.length === 0 ? "none" : server.secrets.join(", ")}
        ${server.missingSecrets.length > 0 ? html` <span class="error">(not set: ${server.missingSecrets.join(", ")})</span>` : ""}
      </dd>
      <dt>Calls</dt>
      <dd>${server.calls}${server.failedCalls > 0 ? ` (${server.failedCalls} failed)` : ""}</dd>
      <dt>Tools</dt>
      <dd>${server.tools.length === 0 ? "—" : server.tools.join(", ")}</dd>
    </dl>
    <p class="actions">
      ${
        // Testing connects, and would hand the owner's secrets to a server not yet approved.
        server.pending
          ? ""
          : html`<button
              type="button"
              class="secondary mcp-test"
              data-api="/api/mcp-servers/${server.name}/test"
              data-then="stay"
            >
              Test
            </button>`
      }
      ${
        // Remote servers may ask the owner to sign in (OAuth); the tokens stay in Pincer.
        !server.pending && server.entry && server.entry.type !== "stdio"
          ? html`<button
              type="button"
              class="secondary mcp-connect"
              data-api="/api/mcp-servers/${server.name}/connect"
              data-then="stay"
            >
              Connect (sign in)
            </button>`
          : ""
      }
      ${
        server.pending
          ? html`<button
              type="button"
              data-api="/api/mcp-servers/${server.name}/approve"
              data-confirm="Approve ${server.name}? It will receive: ${server.secrets.join(", ") || "no secrets"}."
            >
              Approve
            </button>`
          : ""
      }
      <button
        type="button"
        class="danger"
        data-api="/api/mcp-servers/${server.name}"
        data-method="DELETE"
        data-confirm="Remove the MCP server ${server.name}?"
      >
        Remove
      </button>
    </p>
    <output class="mcp-tools" aria-live="polite"></output>
    <p class="form-error error" role="alert" tabindex="-1"></p>
    <details>
      <summary>Edit the entry</summary>
      <form class="mcp-edit" data-name="${server.name}">
        <div class="field">
          <label for="${id}-entry">Entry, as in .mcp.json</label>
          <textarea id="${id}-entry" name="entry" rows="4" aria-describedby="${id}-entry-hint">
${JSON.stringify(server.entry)}</textarea>
          <span class="hint" id="${id}-entry-hint"
            >A masked value (••••) left as it is keeps the stored one.</span
          >
        </div>
        <button type="submit" class="secondary">Save entry</button>
        <p class="form-error error" role="alert" tabindex="-1"></p>
      </form>
    </details>
    <form data-api data-method="PATCH" action="/api/mcp-servers/${server.name}">
      <div class="field">
        <label for="${id}-allow">Allowed tools</label>
        <textarea
          id="${id}-allow"
          name="allowedTools"
          data-type="lines"
          rows="2"
          aria-describedby="${id}-allow-hint"
        >
${(server.allowedTools ?? []).join("\n")}</textarea>
        <span class="hint" id="${id}-allow-hint"
          >One tool name per line. Empty: all of its tools.</span
        >
      </div>
      <button type="submit" class="secondary">Save allow-list</button>
      <p class="form-error error" role="alert" tabindex="-1"></p>
    </form>
  </section>`;
}

export function mcpPage(
  context: PageContext,
  servers: ServerView[],
  secrets: SecretView[],
  groups: string[],
): string {
  const body = html`<h1>MCP servers</h1>
    <p class="hint">
      Pincer connects to these servers itself and offers their tools to the agents as
      <code>mcp__&lt;server&gt;__&lt;tool&gt;</code>; headers, tokens and a stdio server's
      environment never reach an agent. A change reaches each group at its next message.
    </p>
    ${servers.length === 0 ? html`<p class="hint">No MCP servers yet.</p>` : servers.map(serverCard)}
    <section class="card" aria-labelledby="mcp-add-title">
      <h2 id="mcp-add-title">Add a server</h2>
      <form id="mcp-add">
        <div class="field">
          <label for="mcp-add-name">Name</label>
          <input
            id="mcp-add-name"
            name="name"
            required
            maxlength="48"
            pattern="[a-z0-9][a-z0-9_\\-]{0,47}"
          />
        </div>
        <div class="field">
          <label for="mcp-add-group">For</label>
          <select id="mcp-add-group" name="group">
            <option value="">every group</option>
            ${groups.map((folder) => html`<option value="${folder}">${folder}</option>`)}
          </select>
        </div>
        <div class="field">
          <label for="mcp-add-entry">Entry, as in .mcp.json</label>
          <textarea
            id="mcp-add-entry"
            name="entry"
            rows="5"
            required
            aria-describedby="mcp-add-hint"
          >
{"type": "http", "url": "https://", "headers": {"Authorization": "Bearer \${TOKEN}"}}</textarea>
          <span class="hint" id="mcp-add-hint"
            >stdio: {"command", "args", "env"}; http or sse: {"type", "url", "headers"}. Write
            secrets as \${NAME} and set them below.</span
          >
        </div>
        <button type="submit">Add</button>
        <p class="form-error error" role="alert" tabindex="-1"></p>
      </form>
    </section>
    <section class="card" aria-labelledby="mcp-secrets-title">
      <h2 id="mcp-secrets-title">Secrets</h2>
      ${
        secrets.length === 0
          ? html`<p class="hint">No secrets yet.</p>`
          : html`<ul>
              ${secrets.map(
                (secret) =>
                  html`<li>
                    <code>${secret.name}</code> ${secret.value} · used by
                    ${secret.usedBy.join(", ") || "nothing"}
                    <button
                      type="button"
                      class="danger"
                      data-api="/api/mcp-secrets/${secret.name}"
                      data-method="DELETE"
                      data-confirm="Remove the secret ${secret.name}?"
                    >
                      Remove
                    </button>
                  </li>`,
              )}
            </ul>`
      }
      <form id="mcp-secret">
        <div class="field">
          <label for="mcp-secret-name">Name</label>
          <input
            id="mcp-secret-name"
            name="name"
            required
            maxlength="64"
            pattern="[A-Z_][A-Z0-9_]{0,63}"
          />
        </div>
        <div class="field">
          <label for="mcp-secret-value">Value</label>
          <input id="mcp-secret-value" name="value" type="password" required autocomplete="off" />
        </div>
        <button type="submit">Set secret</button>
        <p class="form-error error" role="alert" tabindex="-1"></p>
      </form>
    </section>`;
  return layout({ title: "MCP servers", path: "/mcp", context, body, scripts: ["mcp.js"] });
}
