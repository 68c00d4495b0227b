// Registered groups with their settings (model and effort included), and the chats the channels have discovered that
// can be registered.
import { EFFORT_LEVELS, type DiscoveredChatRow, type Group } from "../../store/groups.ts";
import { html, type Html } from "./html.ts";
import { formatTime, layout, type PageContext } from "./layout.ts";

/** The model and effort fields; empty means the default, sent as null. */
function modelFields(group: Group, id: string, defaultModel: string | undefined): Html {
  return html`<div class="field">
      <label for="${id}-model">Model</label>
      <input
        id="${id}-model"
        name="model"
        data-type="nullable"
        value="${group.model ?? ""}"
        placeholder="${defaultModel ?? "Claude Code's default"}"
        maxlength="128"
        aria-describedby="${id}-model-hint"
      />
      <span class="hint" id="${id}-model-hint"
        >A model id (claude-sonnet-4-5) or alias (sonnet, opus, haiku). Empty: MODEL
        (${defaultModel ?? "not set"}). Takes effect at the group's next turn.</span
      >
    </div>
    <div class="field">
      <label for="${id}-effort">Effort</label>
      <select id="${id}-effort" name="effort" data-type="nullable">
        <option value="" ${group.effort === null ? html` selected` : ""}>model's default</option>
        ${EFFORT_LEVELS.map(
          (level) =>
            html`<option value="${level}" ${group.effort === level ? html` selected` : ""}>
              ${level}
            </option>`,
        )}
      </select>
    </div>`;
}

function groupCard(group: Group, defaultModel: string | undefined): Html {
  const id = `g-${group.folder}`;
  return html`<section class="card" id="group-${group.folder}" aria-labelledby="${id}-title">
    <h2 id="${id}-title">
      ${group.name} ${group.isMain ? html`<span class="badge ok">main</span>` : ""}
    </h2>
    <p class="hint">${group.channel}:${group.chatId} · folder <code>${group.folder}</code></p>
    <p>
      <a href="/memory/${group.folder}">Memory (CLAUDE.md)</a> ·
      <a href="/conversations?group=${group.folder}">Conversation</a>
    </p>
    <form data-api data-method="PATCH" action="/api/groups/${group.folder}">
      <div class="field">
        <label for="${id}-name">Name</label>
        <input id="${id}-name" name="name" value="${group.name}" required maxlength="100" />
      </div>
      ${
        group.isMain
          ? html`<p class="hint">
              A main chat needs no trigger: every message is for the assistant.
            </p>`
          : html`<div class="field">
                <label for="${id}-trigger">Trigger</label>
                <input
                  id="${id}-trigger"
                  name="trigger"
                  value="${group.trigger}"
                  required
                  maxlength="64"
                />
              </div>
              <div class="field inline">
                <input
                  type="checkbox"
                  id="${id}-requires"
                  name="requiresTrigger"
                  ${group.requiresTrigger ? html` checked` : ""}
                />
                <label for="${id}-requires">Answer only when triggered (or mentioned)</label>
              </div>`
      }
      <div class="field">
        <label for="${id}-senders">Allowed senders</label>
        <textarea
          id="${id}-senders"
          name="allowedSenders"
          data-type="lines"
          rows="2"
          aria-describedby="${id}-senders-hint"
        >
${(group.allowedSenders ?? []).join("\n")}</textarea>
        <span class="hint" id="${id}-senders-hint"
          >Sender ids, one per line. Empty: everyone may trigger the assistant.</span
        >
      </div>
      <div class="field inline">
        <input
          type="checkbox"
          id="${id}-drop"
          name="dropOthers"
          ${group.dropOthers ? html` checked` : ""}
        />
        <label for="${id}-drop">Do not even record messages from other senders</label>
      </div>
      ${modelFields(group, id, defaultModel)}
      <button type="submit">Save</button>
      ${
        group.isMain
          ? ""
          : html`<button
              type="button"
              class="danger"
              data-api="/api/groups/${group.folder}"
              data-method="DELETE"
              data-confirm="Unregister ${group.name}? Its folder and history are kept."
            >
              Unregister
            </button>`
      }
      <p class="form-error error" role="alert"></p>
    </form>
  </section>`;
}

function discoveredRow(chat: DiscoveredChatRow, timeZone: string): Html {
  const id = `d-${chat.channel}-${chat.chatId}`.replace(/[^A-Za-z0-9_-]/g, "_");
  return html`<tr>
    <th scope="row">
      ${chat.name || "(no name)"}
      <div class="hint">${chat.chatId}</div>
    </th>
    <td>${chat.isGroup ? "group" : "direct"}</td>
    <td>${formatTime(chat.lastMessageAt, timeZone)}</td>
    <td class="full">
      <form
        data-api
        action="/api/groups"
        class="register"
        aria-label="Register ${chat.name || chat.chatId}"
      >
        <input type="hidden" name="chat" value="${chat.channel}:${chat.chatId}" />
        <div class="field">
          <label for="${id}-folder">Folder</label>
          <input
            id="${id}-folder"
            name="folder"
            data-optional
            placeholder="from the name"
            maxlength="64"
            pattern="[a-z0-9][a-z0-9_\\-]{0,63}"
          />
        </div>
        <div class="field inline">
          <input
            type="checkbox"
            id="${id}-requires"
            name="requiresTrigger"
            ${chat.isGroup ? html` checked` : ""}
          />
          <label for="${id}-requires">Only when triggered</label>
        </div>
        <button type="submit">Register</button>
        <p class="form-error error" role="alert"></p>
      </form>
    </td>
  </tr>`;
}

export function groupsPage(
  context: PageContext,
  data: { groups: Group[]; discovered: DiscoveredChatRow[]; defaultModel: string | undefined },
): string {
  const channels = [...new Set(data.discovered.map((chat) => chat.channel))].sort();
  const body = html` <h1>Groups</h1>
    <p id="page-error" class="error" role="alert" tabindex="-1"></p>
    <p><a href="/memory/global">Global memory</a>: what every group's assistant knows.</p>
    ${data.groups.map((group) => groupCard(group, data.defaultModel))}
    <h2 id="discovered">Discovered chats</h2>
    ${
      channels.length === 0
        ? html`<p class="hint">
            No unregistered chats yet. Add the bot to a chat, or message it, and the chat appears
            here.
          </p>`
        : channels.map(
            (channel) =>
              html`<section class="card" aria-labelledby="discovered-${channel}">
                <h3 id="discovered-${channel}">${channel}</h3>
                <div class="table-wrap">
                  <table class="cards">
                    <thead>
                      <tr>
                        <th scope="col">Chat</th>
                        <th scope="col">Type</th>
                        <th scope="col">Last message</th>
                        <th scope="col">Register</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${data.discovered.filter((chat) => chat.channel === channel).map((chat) => discoveredRow(chat, context.timeZone))}
                    </tbody>
                  </table>
                </div>
              </section>`,
          )
    }`;
  return layout({ title: "Groups", path: "/groups", context, body });
}
