// A small web site on 127.0.0.1 for the browser tests and bench: a page rendered by
// JavaScript, a form, a link chain, a large page, a download, cookies, and a redirect and a
// link to a port the browser must not reach. It records every request it gets.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SiteRequest {
  method: string;
  path: string;
  body: string;
  cookie: string | undefined;
}

export interface TestSite {
  url: string;
  requests: SiteRequest[];
  close(): Promise<void>;
}

export const JS_TEXT = "Rendered by JavaScript 4711";
export const LARGE_PARAGRAPHS = 3000;

function page(title: string, body: string): string {
  return `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => resolve(body));
  });
}

/** `forbiddenUrl` is where the redirect and the bad link point (the service's own port). */
export async function startTestSite(forbiddenUrl: string): Promise<TestSite> {
  const requests: SiteRequest[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = req.url ?? "/";
    const body = await readBody(req);
    requests.push({ method: req.method ?? "GET", path, body, cookie: req.headers.cookie });
    const html = (
      status: number,
      content: string,
      headers: Record<string, string | string[]> = {},
    ) => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8", ...headers });
      res.end(content);
    };
    const chain = /^\/chain\/(\d)$/.exec(path);
    if (path === "/js") {
      html(
        200,
        page(
          "Dynamic",
          `<h1>Dynamic</h1><p id="out">loading</p><script>
            fetch("/data").then((r) => r.json()).then((d) => {
              document.getElementById("out").textContent = d.message;
            });
          </script>`,
        ),
      );
    } else if (path === "/data") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: JS_TEXT }));
    } else if (path === "/form") {
      html(
        200,
        page(
          "Form",
          `<form method="post" action="/submit">
            <label>Name <input name="name"></label>
            <label>Colour <select name="colour"><option value="red">Red</option><option value="green">Green</option></select></label>
            <button type="submit">Send</button>
          </form>`,
        ),
      );
    } else if (path === "/submit" && req.method === "POST") {
      const name = new URLSearchParams(body).get("name") ?? "";
      html(200, page("Thanks", `<p>Thanks, ${name.replace(/[<&]/g, "")}</p>`));
    } else if (chain) {
      const n = Number(chain[1]);
      html(
        200,
        page(
          `Chain ${n}`,
          n < 3
            ? `<h1>Page ${n}</h1><a href="/chain/${n + 1}">Next</a>`
            : `<h1>End of the chain</h1>`,
        ),
      );
    } else if (path === "/large") {
      const paragraphs = Array.from(
        { length: LARGE_PARAGRAPHS },
        (_, i) => `<p>Paragraph ${i} of a long page with some filler text to read.</p>`,
      );
      html(200, page("Large", paragraphs.join("")));
    } else if (path === "/downloads") {
      html(200, page("Files", `<a href="/report.txt">Get the report</a>`));
    } else if (path === "/report.txt") {
      res.writeHead(200, {
        "content-type": "text/plain",
        "content-disposition": 'attachment; filename="report.txt"',
      });
      res.end("quarterly numbers\n");
    } else if (path === "/login") {
      html(200, page("Logged in", "<p>Welcome</p>"), {
        "set-cookie": ["session=s3cr3t; Path=/; HttpOnly", "remember=yes; Path=/; Max-Age=86400"],
      });
    } else if (path === "/whoami") {
      html(200, page("Who", `<p>Cookies: ${req.headers.cookie ?? "none"}</p>`));
    } else if (path === "/to-admin") {
      res.writeHead(302, { location: forbiddenUrl });
      res.end();
    } else if (path === "/admin-link") {
      html(200, page("Links", `<a href="${forbiddenUrl}">Admin</a>`));
    } else {
      html(404, page("Not found", "<p>Not found</p>"));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A listener standing in for the service's own admin port: it only counts visits. */
export async function startForbiddenServer(): Promise<{
  port: number;
  hits: string[];
  close(): Promise<void>;
}> {
  const hits: string[] = [];
  const server = createServer((req, res) => {
    hits.push(req.url ?? "/");
    res.end("admin");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The ref of the first snapshot line that matches, e.g. refOf(text, /button "Send"/). */
export function refOf(snapshot: string, line: RegExp): string {
  for (const text of snapshot.split("\n")) {
    if (!line.test(text)) continue;
    const ref = /\[ref=([a-z0-9]+)\]/.exec(text)?.[1];
    if (ref) return ref;
  }
  throw new Error(`no element matching ${line} in:\n${snapshot.slice(0, 2000)}`);
}

/** Checks the PNG signature and reads the image size from the IHDR chunk. */
export function pngSize(data: Buffer): { width: number; height: number } | undefined {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (data.length < 24 || !data.subarray(0, 8).equals(signature)) return undefined;
  if (data.subarray(12, 16).toString("latin1") !== "IHDR") return undefined;
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}
