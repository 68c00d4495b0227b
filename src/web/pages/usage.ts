// Usage and budgets: cost per day and group as a chart, cost per model and tokens as tables, and the daily
// spend caps. The page draws all of it from /api/usage/daily and /api/budget.
import { html, type Html } from "./html.ts";
import { layout, type PageContext } from "./layout.ts";

/** Forwarded MCP tool calls per server (counted since the server was added). */
export interface McpCalls {
  name: string;
  calls: number;
  failedCalls: number;
}

function mcpSection(servers: McpCalls[]): Html {
  if (servers.length === 0) return html``;
  return html`<section class="card" aria-labelledby="mcp-calls-title">
    <h2 id="mcp-calls-title">MCP tool calls</h2>
    <div class="table-wrap">
      <table id="mcp-calls">
        <thead>
          <tr>
            <th scope="col">Server</th>
            <th scope="col">Calls</th>
            <th scope="col">Failed</th>
          </tr>
        </thead>
        <tbody>
          ${servers.map(
            (server) =>
              html`<tr>
                <td><a href="/mcp#mcp-${server.name}">${server.name}</a></td>
                <td>${server.calls}</td>
                <td>${server.failedCalls}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

export function usagePage(context: PageContext, mcpCalls: McpCalls[] = []): string {
  const body = html` <h1>Usage and budget</h1>
    <p id="page-error" class="error" role="alert" tabindex="-1"></p>
    <section class="card" aria-labelledby="cost-title">
      <h2 id="cost-title">Cost per day (last 14 days, ${context.timeZone})</h2>
      <p id="usage-today" role="status"></p>
      <div id="usage-chart" class="chart"></div>
      <div id="usage-legend" class="legend"></div>
    </section>
    <section class="card" aria-labelledby="models-title">
      <h2 id="models-title">Cost per model (last 14 days)</h2>
      <div class="table-wrap">
        <table id="models-table">
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Requests</th>
              <th scope="col">Input</th>
              <th scope="col">Output</th>
              <th scope="col">Cache read</th>
              <th scope="col">Cache write</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
    </section>
    <section class="card" aria-labelledby="tokens-title">
      <h2 id="tokens-title">Tokens per group per day</h2>
      <p id="tokens-scroll-hint" class="hint" hidden>
        Scroll the table sideways for every column →
      </p>
      <div class="table-wrap" tabindex="0" role="region" aria-labelledby="tokens-title">
        <table id="usage-table">
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Group</th>
              <th scope="col">Input</th>
              <th scope="col">Output</th>
              <th scope="col">Cache read</th>
              <th scope="col">Cache write</th>
              <th scope="col">Cost</th>
            </tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
    </section>
    <section class="card" aria-labelledby="budget-title">
      <h2 id="budget-title">Daily spend cap</h2>
      <form id="budget-form">
        <div class="field">
          <label for="budget-daily">All groups together, US$ per day</label>
          <input
            id="budget-daily"
            type="number"
            min="0.01"
            step="0.01"
            inputmode="decimal"
            aria-describedby="budget-daily-hint"
          />
          <span class="hint" id="budget-daily-hint"
            >Empty: no cap. When a cap is reached, the assistant says so instead of answering until
            the next day.</span
          >
        </div>
        <fieldset id="budget-groups">
          <legend>Per group, US$ per day (empty: no cap of its own)</legend>
        </fieldset>
        <button type="submit">Save caps</button>
        <button type="button" id="budget-default" class="secondary">Use DAILY_BUDGET_USD</button>
        <p class="form-error error" role="alert"></p>
        <p id="budget-saved" role="status"></p>
      </form>
    </section>
    ${mcpSection(mcpCalls)}`;
  return layout({ title: "Usage", path: "/usage", context, body, scripts: ["usage.js"] });
}
