// The service's recent log lines, newest first, with a level filter.
import { LOG_LEVELS, type LogLevelName, type LogLine } from "../../log.ts";
import { html } from "./html.ts";
import { formatTime, layout, type PageContext } from "./layout.ts";

export function logsPage(context: PageContext, level: LogLevelName, lines: LogLine[]): string {
  const levels = Object.keys(LOG_LEVELS) as LogLevelName[];
  const body = html` <h1>Logs</h1>
    <form method="get" action="/logs" class="card">
      <div class="field inline">
        <label for="level">At least</label>
        <select id="level" name="level">
          ${levels.map(
            (name) =>
              html`<option value="${name}" ${name === level ? html` selected` : ""}>
                ${name}
              </option>`,
          )}
        </select>
        <button type="submit">Show</button>
      </div>
      <p class="hint">
        The last ${lines.length} matching lines of this process; secrets are redacted.
      </p>
    </form>
    <div class="table-wrap">
      <table id="log-lines" class="cards">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Level</th>
            <th scope="col">Message</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          ${[...lines].reverse().map(
            (line) =>
              html`<tr class="level-${line.level}">
                <td>${formatTime(line.time, context.timeZone, true)}</td>
                <td>
                  <span
                    class="badge${line.level === "error" || line.level === "fatal" ? " bad" : line.level === "info" ? " ok" : ""}"
                    >${line.level}</span
                  >
                </td>
                <td class="full"><span class="wrap">${line.msg}</span></td>
                <td class="full">
                  <code class="wrap"
                    >${Object.keys(line.fields).length ? JSON.stringify(line.fields) : ""}</code
                  >
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  return layout({ title: "Logs", path: "/logs", context, body });
}
