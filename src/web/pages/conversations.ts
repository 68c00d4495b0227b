// One group's conversation (in and out, with search) and what its agent is doing now.
import { formatSize } from "../../channels/file-limits.ts";
import type { Group } from "../../store/groups.ts";
import type { StoredMessage } from "../../store/messages.ts";
import type { StoredOutboundFile } from "../../store/outbound-files.ts";
import type { GroupActivity } from "../activity.ts";
import { sentFile } from "../sent-files.ts";
import { html, type Html } from "./html.ts";
import { formatTime, layout, type PageContext } from "./layout.ts";

/** A file the assistant sent: a download link while its copy is kept, else why it is not. */
function sentFileItem(file: StoredOutboundFile, channel: string, retentionDays: number): Html {
  const view = sentFile(file, channel, retentionDays);
  return view.url === null
    ? html`<div class="hint">📎 ${view.removed}</div>`
    : html`<div>
        <a class="attachment" href="${view.url}" download="${view.name}"
          >📎 ${view.name} (${formatSize(view.size)})</a
        >
      </div>`;
}

function messageItem(
  message: StoredMessage,
  sent: StoredOutboundFile | undefined,
  timeZone: string,
  retentionDays: number,
): Html {
  const attachments = sent
    ? [sentFileItem(sent, message.channel, retentionDays)]
    : (message.attachments ?? []).map(
        (a) => html`<div class="hint">📎 ${a.kind}: ${a.fileName}</div>`,
      );
  return html`<li class="${message.direction}" data-id="${message.id}">
    <div class="meta">
      ${message.direction === "out" ? "sent" : message.senderName} ·
      ${formatTime(message.timestamp, timeZone)}${message.editedAt ? " · edited" : ""}${message.deleted ? " · deleted" : ""}
    </div>
    <span class="text">${message.text}</span>
    ${attachments}
  </li>`;
}

export function activityPanel(activity: GroupActivity, timeZone: string): Html {
  return html`<section
    class="card activity"
    id="activity"
    aria-labelledby="activity-title"
    data-group-id="${activity.groupId}"
  >
    <h2 id="activity-title">Agent activity</h2>
    <p id="activity-status" role="status" aria-live="polite">
      ${
        activity.status === "working"
          ? html`<span class="badge">working</span> since ${formatTime(activity.since, timeZone)}`
          : html`<span class="badge ok">idle</span>`
      }
    </p>
    <p class="hint" id="activity-tools-label" ${activity.tools.length ? "" : html` hidden`}>
      ${activity.status === "working" ? "Tools called in this turn:" : "Tools called in the last turn:"}
    </p>
    <ol id="activity-tools">
      ${activity.tools.map((tool) => html`<li>${tool.name} <span class="hint">${formatTime(tool.at, timeZone)}</span></li>`)}
    </ol>
  </section>`;
}

export function conversationsPage(
  context: PageContext,
  data: {
    groups: Group[];
    group: Group | undefined;
    query: { q: string | undefined; before: number | undefined; limit: number };
    messages: StoredMessage[];
    /** The files the assistant sent with these messages, by message id. */
    sentFiles: Map<number, StoredOutboundFile>;
    /** ATTACHMENT_RETENTION_DAYS, which a file no longer kept names. */
    retentionDays: number;
    activity: GroupActivity | undefined;
    error?: string;
  },
): string {
  const { group, query, messages } = data;
  const oldest = messages[0]?.id;
  const picker = html`<form method="get" action="/conversations" class="card" role="search">
    <div class="field">
      <label for="group">Group</label>
      <select id="group" name="group">
        ${data.groups.map(
          (g) =>
            html`<option value="${g.folder}" ${g.folder === group?.folder ? html` selected` : ""}>
              ${g.name} (${g.channel})
            </option>`,
        )}
      </select>
    </div>
    <div class="field">
      <label for="q">Search messages</label>
      <input id="q" name="q" type="search" value="${query.q ?? ""}" maxlength="500" />
    </div>
    <button type="submit">Show</button>
  </form>`;
  const body = html` <h1>Conversations</h1>
    ${picker} ${data.error ? html`<p class="error" role="alert">${data.error}</p>` : ""}
    ${
      group
        ? html`${data.activity ? activityPanel(data.activity, context.timeZone) : ""}
            <section class="card" aria-labelledby="history-title">
              <h2 id="history-title">
                ${query.q ? html`Messages matching “${query.q}”` : "Messages"} in ${group.name}
              </h2>
              ${
                messages.length === 0
                  ? html`<p class="hint">No messages${query.q ? " match" : " yet"}.</p>`
                  : html`<ol class="history" id="history">
                      ${messages.map((m) =>
                        messageItem(
                          m,
                          data.sentFiles.get(m.id),
                          context.timeZone,
                          data.retentionDays,
                        ),
                      )}
                    </ol>`
              }
              ${
                !query.q && oldest !== undefined && messages.length === query.limit
                  ? html`<p>
                      <a href="/conversations?group=${group.folder}&amp;before=${oldest}"
                        >Older messages</a
                      >
                    </p>`
                  : ""
              }
            </section>`
        : ""
    }`;
  return layout({
    title: "Conversations",
    path: "/conversations",
    context,
    body,
    scripts: ["conversations.js"],
  });
}
