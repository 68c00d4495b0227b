// Editing one CLAUDE.md: a group's memory or the global one.
import type { MemoryContent } from "../memory-file.ts";
import { html } from "./html.ts";
import { formatTime, layout, type PageContext } from "./layout.ts";

export function memoryPage(
  context: PageContext,
  target: { folder: string; title: string },
  memory: MemoryContent | { error: string },
): string {
  const body = html` <p><a href="/groups">← Groups</a></p>
    <h1>Memory: ${target.title}</h1>
    ${
      "error" in memory
        ? html`<p class="error" role="alert">${memory.error}</p>`
        : html`<form id="memory" data-api data-method="PUT" action="/api/memory/${target.folder}">
            <input type="hidden" name="version" value="${memory.version}" />
            <div class="field">
              <label for="memory-content">CLAUDE.md</label>
              <textarea
                id="memory-content"
                name="content"
                rows="24"
                spellcheck="true"
                aria-describedby="memory-hint"
              >
${memory.content}</textarea>
              <span class="hint" id="memory-hint"
                >Last changed ${formatTime(memory.updatedAt, context.timeZone)}. The agent reads
                this at the start of each session and may write to it too.</span
              >
            </div>
            <button type="submit">Save</button>
            <p class="form-error error" role="alert"></p>
          </form>`
    }`;
  return layout({ title: `Memory: ${target.title}`, path: "/groups", context, body });
}
