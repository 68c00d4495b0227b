// The browser as the agent sees it: MCP tools bound to one group. Pages are shown as
// Playwright's AI snapshot (the accessibility tree as YAML), where each element the agent
// can act on carries a ref like [ref=e12]; click/fill/select/press take that ref. A ref
// stays attached to its element while the page lives, and the tools that change the page
// answer with a fresh snapshot, so the agent always has current refs.
import { tool } from "../agent/sdk.ts";
import { relative } from "node:path";
import type { Page } from "playwright-core";
import { z } from "zod";
import type { AgentTool } from "../agent/tools.ts";
import { agentHome, groupDir, type Paths } from "../data-layout.ts";
import type { Group } from "../store/groups.ts";
import type { BrowserManager } from "./browser-manager.ts";
import type { BrowserGroup, GroupBrowser, UserLease } from "./group-browser.ts";
import { writeNewFile } from "./group-files.ts";
import { textWindow } from "./truncate.ts";
import { checkNavigation } from "./url-policy.ts";

export interface BrowserToolOptions {
  manager: BrowserManager;
  paths: Paths;
  /** Most characters of page text one tool result carries. */
  maxChars: number;
  /** Claims the group's Unix user for the browser's lifetime (see UserLease). */
  lease?: ((group: Group) => UserLease) | undefined;
}

interface Reply {
  [key: string]: unknown;
  content: { type: "text"; text: string }[];
  isError: boolean;
}

function reply(text: string, isError = false): Reply {
  return { content: [{ type: "text", text }], isError };
}

/** Playwright's message without its call log, which means nothing to the model. */
function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split(/\n\s*Call log:/)[0]!
    .trim()
    .replace(
      /net::ERR_SOCKS_CONNECTION_FAILED/,
      "$& (the host could not be resolved or reached, or the connection was refused)",
    );
}

const refShape = z
  .string()
  .min(1)
  .max(20)
  .describe("The element's ref from the latest snapshot, e.g. e12 (from [ref=e12])");

export function browserTools(group: Group, options: BrowserToolOptions): AgentTool[] {
  const folder = groupDir(options.paths, group.folder);
  const { lease } = options;
  const spec = (): BrowserGroup => ({
    id: group.id,
    groupDir: folder,
    home: agentHome(options.paths, group.folder),
    lease: lease ? () => lease(group) : undefined,
  });

  async function snapshotText(page: Page, offset = 0): Promise<string> {
    const tree = await page.ariaSnapshot({ mode: "ai" });
    return `URL: ${page.url()}\nTitle: ${await page.title()}\n\n${textWindow(tree, offset, options.maxChars)}`;
  }

  /** Runs one browser step for this group and turns its outcome into a tool result. */
  async function step(work: (browser: GroupBrowser) => Promise<string>): Promise<Reply> {
    let notes: string[] = [];
    try {
      const text = await options.manager.use(spec(), async (browser) => {
        try {
          return await work(browser);
        } finally {
          notes = browser.takeNotes();
        }
      });
      return reply([text, ...notes].join("\n\n"));
    } catch (error) {
      return reply([errorText(error), ...notes].join("\n\n"), true);
    }
  }

  /** An action answered with the page as it is afterwards (maybe a new tab it opened). */
  const acting = (act: (page: Page) => Promise<unknown>) =>
    step(async (browser) => {
      await browser.settled(act);
      return snapshotText(await browser.page());
    });

  return [
    tool(
      "browser_open",
      "Open a web page in your browser (a real Chromium; cookies and logins persist for this chat) and show it as an accessibility snapshot with element refs. Also opens files in this chat's folder (file:///...).",
      {
        url: z
          .string()
          .min(1)
          .max(4000)
          .describe("Absolute URL: https://..., http://... or file:///..."),
      },
      async (args) => {
        const verdict = checkNavigation(args.url, {
          groupDir: folder,
          servicePorts: options.manager.servicePorts(),
        });
        if (!verdict.allowed) return reply(`Refused: ${verdict.reason}`, true);
        return step(async (browser) => {
          const response = await browser.settled((page) =>
            page.goto(verdict.url.href, { waitUntil: "load" }),
          );
          const status = response && response.status() >= 400 ? `HTTP ${response.status()}\n` : "";
          return status + (await snapshotText(await browser.page()));
        });
      },
    ),
    tool(
      "browser_snapshot",
      "Show the current page again as an accessibility snapshot with element refs. Long pages come in windows: pass the offset the truncation note gives to read on.",
      {
        offset: z
          .number()
          .int()
          .min(0)
          .optional()
          .describe("Character offset into the snapshot, from a truncation note; default 0"),
      },
      async (args) => step(async (browser) => snapshotText(await browser.page(), args.offset ?? 0)),
    ),
    tool(
      "browser_click",
      "Click an element (link, button, checkbox, …) by its ref; answers with the page afterwards.",
      { ref: refShape },
      async (args) => acting((page) => page.getByRef(args.ref).click()),
    ),
    tool(
      "browser_fill",
      "Type text into a text field by its ref, replacing what is there. submit=true presses Enter afterwards (and answers with the resulting page).",
      {
        ref: refShape,
        text: z.string().max(100_000).describe("The text to put into the field"),
        submit: z.boolean().optional().describe("Press Enter after filling; default false"),
      },
      async (args) => {
        if (args.submit)
          return acting(async (page) => {
            await page.getByRef(args.ref).fill(args.text);
            await page.getByRef(args.ref).press("Enter");
          });
        return step(async (browser) => {
          await browser.settled((page) => page.getByRef(args.ref).fill(args.text));
          return `Filled ${args.ref}.`;
        });
      },
    ),
    tool(
      "browser_select",
      "Choose option(s) of a select element by its ref, by value or visible label.",
      {
        ref: refShape,
        values: z.array(z.string()).min(1).max(100).describe("Values or labels to select"),
      },
      async (args) =>
        step(async (browser) => {
          const selected = await browser.settled((page) =>
            page.getByRef(args.ref).selectOption(args.values),
          );
          return `Selected in ${args.ref}: ${selected.join(", ")}.`;
        }),
    ),
    tool(
      "browser_press",
      "Press a key (Enter, Tab, Escape, ArrowDown, Control+A, …) in an element by its ref, or on the page without one; answers with the page afterwards.",
      {
        key: z
          .string()
          .min(1)
          .max(50)
          .describe("Key name as in Playwright, e.g. Enter or Control+A"),
        ref: refShape.optional(),
      },
      async (args) =>
        acting((page) =>
          args.ref ? page.getByRef(args.ref).press(args.key) : page.keyboard.press(args.key),
        ),
    ),
    tool("browser_back", "Go back to the previous page in this tab.", {}, async () =>
      step(async (browser) => {
        const response = await browser.settled((page) => page.goBack({ waitUntil: "load" }));
        const page = await browser.page();
        if (response === null && page.url() === "about:blank") return "There is no previous page.";
        return snapshotText(page);
      }),
    ),
    tool(
      "browser_screenshot",
      "Save a PNG screenshot of the current page (or of one element by its ref) into this chat's folder; answers with its path. Use Read on the path to look at it.",
      {
        full_page: z
          .boolean()
          .optional()
          .describe("The whole scrollable page instead of the visible part; default false"),
        ref: refShape.optional(),
      },
      async (args) =>
        step(async (browser) => {
          const page = await browser.page();
          const image = args.ref
            ? await page.getByRef(args.ref).screenshot()
            : await page.screenshot({ fullPage: args.full_page ?? false });
          const stamp = new Date().toISOString().replace(/[:.]/g, "-");
          const saved = await writeNewFile(
            `${folder}/screenshots`,
            `screenshot-${stamp}.png`,
            image,
            browser.runAs,
          );
          return `Saved the screenshot to ${relative(folder, saved)} (${saved}).`;
        }),
    ),
    tool(
      "browser_close",
      "Close your browser (it also closes by itself when this chat goes idle). Cookies and logins are kept for next time.",
      {},
      async () => {
        const wasOpen = options.manager.isOpen(group.id);
        await options.manager.closeGroup(group.id);
        return reply(wasOpen ? "Browser closed." : "The browser was not open.");
      },
    ),
  ];
}
