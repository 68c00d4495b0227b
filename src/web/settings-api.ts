// /api/settings: what the owner may set here instead of in the service's environment (the
// model credential, channel tokens, WhatsApp, time zone, name, main chat). A change applies
// at once (settings/settings.ts announces it; the service reconnects what it touches). A
// model credential is tried with one real request before it is saved, so a typo never
// replaces a working key.
import { Hono } from "hono";
import { validator } from "hono/validator";
import { z } from "zod";
import { DEFAULT_MODEL_URL, type Upstream } from "../agent/credential-proxy.ts";
import type { Config } from "../config.ts";
import {
  isSettingName,
  MODEL_SETTINGS,
  SETTINGS,
  SettingError,
  type SettingName,
  type Settings,
} from "../settings/settings.ts";
import { zodMessage } from "../zod-message.ts";
import type { ModelCheck, ModelChecker } from "./model-check.ts";

const valueBody = z.object({ value: z.string().max(4096) }).strict();

/** The model upstream as it would be with `name` set to `value`. */
function candidateUpstream(config: Config, name: SettingName, value: unknown): Upstream {
  const current = (setting: SettingName) =>
    (setting === name ? value : config[setting]) as string | undefined;
  return {
    url: current("ANTHROPIC_BASE_URL") ?? DEFAULT_MODEL_URL,
    credential: {
      apiKey: current("ANTHROPIC_API_KEY"),
      authToken: current("ANTHROPIC_AUTH_TOKEN"),
    },
  };
}

export function settingsRoutes(deps: {
  settings: Settings;
  config: Config;
  checker: ModelChecker;
}) {
  const { settings, config, checker } = deps;
  const unknown = (name: string) =>
    `no setting named "${name}"; these can be set here: ${Object.keys(SETTINGS).join(", ")}`;
  return new Hono()
    .get("/api/settings", (c) => c.json({ settings: settings.list() }))
    .put(
      "/api/settings/:name",
      validator("json", (body, c) => {
        const parsed = valueBody.safeParse(body);
        return parsed.success ? parsed.data : c.json({ error: zodMessage(parsed.error) }, 400);
      }),
      async (c) => {
        const name = c.req.param("name");
        if (!isSettingName(name)) return c.json({ error: unknown(name) }, 404);
        // Pasted tokens often carry a space or a line break at either end.
        const value = c.req.valid("json").value.trim();
        try {
          const parsed = settings.validate(name, value);
          let check: ModelCheck | undefined;
          if (MODEL_SETTINGS.includes(name)) {
            const candidate = candidateUpstream(config, name, parsed);
            if (candidate.credential.apiKey || candidate.credential.authToken) {
              check = await checker.tryUpstream(candidate);
              if (!check.ok)
                return c.json(
                  {
                    error: `not saved: the model API did not accept it (${check.error ?? "no answer"})`,
                    check,
                  },
                  422,
                );
            }
          }
          const setting = settings.set(name, value);
          if (check) checker.last = check;
          return c.json({ setting, check: check ?? null });
        } catch (error) {
          if (error instanceof SettingError) return c.json({ error: error.message }, error.status);
          throw error;
        }
      },
    )
    .delete("/api/settings/:name", (c) => {
      const name = c.req.param("name");
      if (!isSettingName(name)) return c.json({ error: unknown(name) }, 404);
      try {
        return c.json({ setting: settings.unset(name) });
      } catch (error) {
        if (error instanceof SettingError) return c.json({ error: error.message }, error.status);
        throw error;
      }
    });
}
