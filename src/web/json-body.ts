// Reads and validates a JSON request body, naming what is wrong when it is not acceptable.
import type { Context } from "hono";
import type { z } from "zod";
import { zodMessage } from "../zod-message.ts";

/**
 * What a route reading its body with `readJsonBody(c, schema)` takes, declared on its
 * handler's context so the typed client (cli/client.ts) may send it.
 */
export interface JsonInput<S extends z.ZodType> {
  in: { json: z.input<S> };
  out: { json: z.output<S> };
}

export type BodyResult<T> = { value: T } | { error: string; status: 400 | 415 };

export async function readJsonBody<T>(
  c: Context,
  schema: z.ZodType<T>,
  options: { fields?: boolean } = {},
): Promise<BodyResult<T>> {
  if (!(c.req.header("content-type") ?? "").includes("application/json")) {
    return { error: "send JSON: Content-Type: application/json", status: 415 };
  }
  const body: unknown = await c.req.json().catch(() => undefined);
  if (body === undefined) return { error: "body is not valid JSON", status: 400 };
  const parsed = schema.safeParse(body);
  if (!parsed.success) return { error: zodMessage(parsed.error, options), status: 400 };
  return { value: parsed.data };
}
