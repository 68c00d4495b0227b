// What a rejected value got wrong, in one line: each issue with the field it concerns.
import type { z } from "zod";

export function zodMessage(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      if (issue.code === "unrecognized_keys") return `unknown field(s): ${issue.keys.join(", ")}`;
      return `${issue.path.join(".") || "body"}: ${issue.message}`;
    })
    .join("; ");
}
