// Libraries inside the service print with console: libsignal (under Baileys) dumps whole
// session records, private ratchet keys included, straight to stdout. Console output goes
// through the logger instead, keeping a library's words and leaving its objects out.
import type { Logger } from "./log.ts";

const METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;

export function routeConsoleToLogger(logger: Logger): void {
  const log = logger.child({ component: "console" });
  for (const method of METHODS) {
    console[method] = (...args: unknown[]) => {
      const words = args.filter((arg) => typeof arg === "string").join(" ");
      const left = args.length - args.filter((arg) => typeof arg === "string").length;
      const text = left > 0 ? `${words} [${left} value(s) not logged]` : words;
      if (method === "error" || method === "warn") log.warn(text);
      else log.debug(text);
    };
  }
}
