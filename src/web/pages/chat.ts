// The web chat with the main group: history and live replies come from the chat API.
import { html } from "./html.ts";
import { layout, type PageContext } from "./layout.ts";

/** First messages for an empty chat: what the assistant can do, a schedule, its memory. */
const SUGGESTIONS = [
  "What can you do?",
  "Every weekday at 8:00, send me a short plan for the day",
  "Remember that I prefer short answers",
];

export function chatPage(context: PageContext, credentialProblem: string | undefined): string {
  const body = html` ${credentialProblem ? html`<div class="banner" role="alert">${credentialProblem} <a href="/setup">Open the setup checklist</a>.</div>` : ""}
    <h1 class="sr-only">Chat with ${context.assistantName}</h1>
    <div class="chat-status-row">
      <div id="chat-status" class="chat-status" role="status" aria-live="polite"></div>
      <button type="button" id="stop" class="secondary" hidden>Stop</button>
    </div>
    <div id="chat-empty" class="chat-empty" hidden>
      <p>
        <strong>Hello! I am ${context.assistantName}.</strong> Say hello, or start with one of
        these:
      </p>
      <ul>
        ${SUGGESTIONS.map((text) => html`<li><button type="button" class="secondary suggestion">${text}</button></li>`)}
      </ul>
    </div>
    <div id="messages" role="log" aria-label="Conversation" aria-live="polite" tabindex="0"></div>
    <p id="send-error" class="error" role="alert"></p>
    <form id="composer" class="composer">
      <label for="text" class="sr-only">Message</label>
      <span id="composer-hint" class="sr-only">Enter sends, Shift+Enter starts a new line.</span>
      <textarea
        id="text"
        rows="1"
        enterkeyhint="send"
        placeholder="Message ${context.assistantName}…"
        aria-describedby="composer-hint"
      ></textarea>
      <button
        type="button"
        id="record"
        class="secondary"
        aria-pressed="false"
        title="Record a voice message"
      >
        🎤<span class="sr-only"> Record</span>
      </button>
      <button type="submit">Send</button>
    </form>`;
  return layout({
    title: "Chat",
    path: "/",
    context,
    body,
    scripts: ["chat.js"],
    bodyClass: "chat",
  });
}
