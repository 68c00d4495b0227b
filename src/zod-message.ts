// What a rejected value got wrong, in one line: each issue with the field it concerns.
import type { z } from "zod";

/**
 * With `fields: false` a schema's own messages stand alone: for forms whose messages are
 * written as sentences to a person ("Your message is empty"), not to an API client.
 */
export function zodMessage(error: z.ZodError, options: { fields?: boolean } = {}): string {
  return error.issues
    .map((issue) => {
      if (issue.code === "unrecognized_keys") return `unknown field(s): ${issue.keys.join(", ")}`;
      if (options.fields === false) return issue.message;
      return `${issue.path.join(".") || "body"}: ${issue.message}`;
    })
    .join("; ");
}
