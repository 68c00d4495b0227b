// The frame every admin page shares: navigation, the CSRF token for the page's scripts,
// and the stylesheet. Scripts are files under /assets/ (the CSP allows no inline script).
import { html, type Html } from "./html.ts";
import { dateFormat } from "../../time/date-format.ts";

export interface PageContext {
  assistantName: string;
  csrf: string;
  timeZone: string;
}

const NAV: [string, string][] = [
  ["/", "Chat"],
  ["/setup", "Setup"],
  ["/groups", "Groups"],
  ["/conversations", "Conversations"],
  ["/tasks", "Tasks"],
  ["/skills", "Skills"],
  ["/usage", "Usage"],
  ["/mcp", "MCP"],
  ["/logs", "Logs"],
];

export function layout(page: {
  title: string;
  path: string;
  context: PageContext;
  body: Html;
  scripts?: string[];
  bodyClass?: string;
}): string {
  const { context } = page;
  const nav = NAV.map(
    ([href, label]) =>
      html`<li>
        <a href="${href}" ${page.path === href ? html` aria-current="page"` : ""}>${label}</a>
      </li>`,
  );
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="pincer-csrf" content="${context.csrf}" />
        <title>${page.title} · ${context.assistantName}</title>
        <link rel="stylesheet" href="/assets/style.css" />
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <script type="module" src="/assets/app.js"></script>
        ${(page.scripts ?? []).map((name) => html`<script type="module" src="/assets/${name}"></script>`)}
      </head>
      <body
        class="${page.bodyClass ?? ""}"
        data-name="${context.assistantName}"
        data-time-zone="${context.timeZone}"
      >
        <a class="skip" href="#content">Skip to content</a>
        <header class="top">
          <span class="brand">${context.assistantName}</span>
          <nav aria-label="Admin pages">
            <ul>
              ${nav}
            </ul>
          </nav>
          <button type="button" class="secondary" id="logout">Log out</button>
        </header>
        <main id="content" tabindex="-1">${page.body}</main>
      </body>
    </html>`.text;
}

/** A time in the service's time zone, as the pages show it. */
export function formatTime(
  ms: number | null | undefined,
  timeZone: string,
  withSeconds = false,
): string {
  if (!ms) return "—";
  const format = dateFormat("en-GB", {
    timeZone,
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    ...(withSeconds ? { second: "2-digit" } : {}),
  });
  return format.format(new Date(ms));
}
