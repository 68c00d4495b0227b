// The only page reachable without the admin token.
import { html } from "./html.ts";

export function loginPage(options: { assistantName: string; notice: string | undefined }): string {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Log in · ${options.assistantName}</title>
        <link rel="stylesheet" href="/assets/style.css" />
        <link rel="icon" href="/assets/favicon.svg" type="image/svg+xml" />
        <script type="module" src="/assets/login.js"></script>
      </head>
      <body>
        ${options.notice ? html`<div class="banner" role="status">${options.notice}</div>` : ""}
        <main id="content">
          <form id="login" class="login card">
            <h1>${options.assistantName} · admin</h1>
            <div class="field">
              <label for="token">Admin token</label>
              <input
                id="token"
                name="token"
                type="password"
                autocomplete="current-password"
                required
                autofocus
              />
              <span class="hint"
                >From the ADMIN_TOKEN variable, or printed in the log at first start.</span
              >
            </div>
            <button type="submit">Log in</button>
            <p id="login-error" class="error" role="alert"></p>
          </form>
        </main>
      </body>
    </html>`.text;
}
