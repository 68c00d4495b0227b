// One pino logger for the service. Secrets are redacted by key name wherever they
// appear in a logged object, and by value for the configured credentials.
import { pino, type Logger } from "pino";

export type { Logger };

const REDACT_KEYS = [
  "apiKey",
  "token",
  "authorization",
  "Authorization",
  "password",
  "secret",
  "*.apiKey",
  "*.token",
  "*.authorization",
  "*.password",
  "*.secret",
  "headers.authorization",
  "headers['x-api-key']",
];

const secrets = new Set<string>();

/** Registers a credential so that it is masked if it ever appears inside a log line. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 8) secrets.add(value);
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_KEYS, censor: "[redacted]" },
      hooks: {
        streamWrite: redactSecrets,
      },
    },
    destination,
  );
}
