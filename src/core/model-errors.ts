// What a chat is told when the model call behind its turn failed for good.
import { budgetRefusalIn } from "../budget/budget.ts";

/** The chat's message for a model error the CLI reported (`kind`) with its text (`detail`). */
export function modelErrorText(reportedKind: string, detail: string): string {
  // The CLI reports the proxy's budget refusal as an authentication failure; its text says which.
  const refusal = budgetRefusalIn(detail);
  if (refusal) return refusal;
  // The credential proxy answers 502 with the cause when the model API cannot be reached.
  const unreachable = /model API unreachable: ([^"\\\n}]+)/.exec(detail);
  if (unreachable)
    return `I can't reach Claude: the model API did not answer (${unreachable[1]!.trim()}). The owner can check the model API URL on the setup page.`;
  // The CLI reports a persistent 529 as a generic server error; its text says which.
  const kind = /\b529\b|overloaded/i.test(detail) ? "overloaded" : reportedKind;
  switch (kind) {
    case "overloaded":
      return "Sorry, Claude is overloaded right now and did not answer after several tries. Please try again in a few minutes.";
    case "rate_limit":
      return "Sorry, I hit the model API's rate limit and could not answer. Please try again later.";
    case "authentication_failed":
      return "I can't reach Claude: the API key was rejected. The owner can paste a new one on the setup page.";
    case "billing_error":
      return "I can't reach Claude: the Anthropic account has a billing problem.";
    default:
      return `Sorry, the model API failed (${kind}) and I could not answer. Please try again.`;
  }
}
