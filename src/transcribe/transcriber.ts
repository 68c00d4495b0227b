// Speech to text through any OpenAI-compatible /audio/transcriptions endpoint (OpenAI,
// Groq, a self-hosted whisper server). It runs in the host, so the API key never reaches
// an agent. 429 and 5xx are retried with capped backoff that honours Retry-After; a clip
// over the size or duration cap is refused before anything is uploaded.
import { setTimeout as delay } from "node:timers/promises";
import type { Config } from "../config.ts";
import { clockDuration } from "../time/duration.ts";
import { backoffMs } from "../time/backoff.ts";
import { requestedDelayMs } from "./backoff.ts";
import { toneWav } from "./wav.ts";

/** OpenAI's upload limit for /audio/transcriptions. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

export interface AudioClip {
  bytes: Uint8Array;
  fileName: string;
  mimeType?: string | undefined;
  durationSeconds?: number | undefined;
}

export type TranscriptionResult =
  | { ok: true; text: string; attempts: number }
  | {
      ok: false;
      /** Short and free of server output: this is what the chat's agent is told. */
      reason: string;
      /** For the log and the setup checklist: the status and the server's own message. */
      detail: string;
      attempts: number;
    };

export type TranscriberCheck =
  | { ok: true; endpoint: string; model: string; text: string; elapsedMs: number }
  | { ok: false; endpoint: string; model: string; reason: string; detail: string };

export interface TranscriberOptions {
  /** The API base (…/v1) or the full …/audio/transcriptions endpoint; see transcriptionEndpoint. */
  url: string;
  apiKey?: string | undefined;
  model?: string;
  maxSeconds?: number;
  maxBytes?: number;
  /** Per request. */
  timeoutMs?: number;
  maxAttempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A server that asks for a longer wait than this is not waited for. */
  maxRetryAfterMs?: number;
  /** Replaceable so tests can see the waits without spending them. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Where to POST. TRANSCRIBE_URL may be what OpenAI-style SDKs call the base URL
 * (https://api.openai.com/v1, https://api.groq.com/openai/v1) or the endpoint itself; a
 * bare host gets /v1. A query string (some gateways need one) is kept.
 */
export function transcriptionEndpoint(url: string): string {
  const parsed = new URL(url);
  const path = parsed.pathname.replace(/\/+$/, "");
  if (/\/audio\/transcriptions$/.test(path)) return parsed.toString();
  parsed.pathname = `${path || "/v1"}/audio/transcriptions`;
  return parsed.toString();
}

// OpenAI picks the decoder by the upload's file extension and accepts only these.
const ACCEPTED_EXTENSIONS = new Set([
  "flac",
  "m4a",
  "mp3",
  "mp4",
  "mpeg",
  "mpga",
  "oga",
  "ogg",
  "wav",
  "webm",
]);
const EXTENSION_BY_TYPE: Record<string, string> = {
  "audio/ogg": "ogg",
  "audio/opus": "ogg",
  "audio/webm": "webm",
  "audio/mp4": "m4a",
  "audio/m4a": "m4a",
  "audio/x-m4a": "m4a",
  "audio/mpeg": "mp3",
  "audio/mp3": "mp3",
  "audio/wav": "wav",
  "audio/wave": "wav",
  "audio/x-wav": "wav",
  "audio/flac": "flac",
  "video/mp4": "mp4",
  "video/webm": "webm",
};

export function uploadName(clip: Pick<AudioClip, "fileName" | "mimeType">): string {
  const match = /^(.*?)(?:\.([A-Za-z0-9]+))?$/.exec(clip.fileName);
  const stem = match?.[1] || "audio";
  const extension = match?.[2]?.toLowerCase();
  if (extension && ACCEPTED_EXTENSIONS.has(extension)) return clip.fileName;
  const type = clip.mimeType?.split(";")[0]?.trim().toLowerCase();
  const byType = type ? EXTENSION_BY_TYPE[type] : undefined;
  return byType ? `${stem}.${byType}` : clip.fileName;
}

type Attempt =
  | { ok: true; text: string }
  | { ok: false; retryable: boolean; reason: string; detail: string; retryAfterMs?: number };

/** The server's own words from an error body: OpenAI's error.message, else the start of it. */
function serverMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; detail?: unknown };
    if (typeof parsed.error === "string") return parsed.error.slice(0, 300);
    if (typeof parsed.error?.message === "string") return parsed.error.message.slice(0, 300);
    if (typeof parsed.detail === "string") return parsed.detail.slice(0, 300);
  } catch {
    // not JSON
  }
  return body.replace(/\s+/g, " ").trim().slice(0, 300);
}

function refusedReason(status: number): string {
  if (status === 401 || status === 403)
    return `the transcription service rejected the credentials (HTTP ${status})`;
  if (status === 413) return "the recording is too large for the transcription service";
  return `the transcription service refused the recording (HTTP ${status})`;
}

function networkDetail(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === "string") return cause.code;
  if (typeof cause?.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export class Transcriber {
  readonly endpoint: string;
  readonly model: string;
  readonly maxSeconds: number;
  readonly maxBytes: number;
  private readonly apiKey: string | undefined;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: TranscriberOptions) {
    this.endpoint = transcriptionEndpoint(options.url);
    this.apiKey = options.apiKey;
    this.model = options.model ?? "whisper-1";
    this.maxSeconds = options.maxSeconds ?? 600;
    this.maxBytes = options.maxBytes ?? MAX_UPLOAD_BYTES;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.maxAttempts = options.maxAttempts ?? 4;
    this.backoffBaseMs = options.backoffBaseMs ?? 1_000;
    this.backoffMaxMs = options.backoffMaxMs ?? 8_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 60_000;
    this.sleep =
      options.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : undefined));
  }

  /** Why a clip is not sent at all, or undefined when it may be. */
  refusal(clip: Pick<AudioClip, "bytes" | "durationSeconds">): string | undefined {
    if (clip.durationSeconds !== undefined && clip.durationSeconds > this.maxSeconds) {
      return `it is ${clockDuration(clip.durationSeconds)} long, over the ${clockDuration(this.maxSeconds)} limit for transcription`;
    }
    if (clip.bytes.byteLength > this.maxBytes) {
      const mb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
      return `it is ${mb(clip.bytes.byteLength)} MB, over the ${mb(this.maxBytes)} MB limit for transcription`;
    }
    return undefined;
  }

  /** Rejects only when `signal` aborts; every other failure is a result. */
  async transcribe(clip: AudioClip, signal?: AbortSignal): Promise<TranscriptionResult> {
    const refusal = this.refusal(clip);
    if (refusal) return { ok: false, reason: refusal, detail: refusal, attempts: 0 };
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.post(clip, this.timeoutMs, signal);
      if (outcome.ok) return { ok: true, text: outcome.text, attempts: attempt };
      const detail = `${outcome.detail} (attempt ${attempt} of ${this.maxAttempts})`;
      if (!outcome.retryable || attempt >= this.maxAttempts) {
        return { ok: false, reason: outcome.reason, detail, attempts: attempt };
      }
      const wait =
        outcome.retryAfterMs ?? backoffMs(attempt, this.backoffBaseMs, this.backoffMaxMs);
      if (wait > this.maxRetryAfterMs) {
        return {
          ok: false,
          reason: outcome.reason,
          detail: `${detail}; it asked to retry after ${Math.ceil(wait / 1000)} s, longer than Pincer waits`,
          attempts: attempt,
        };
      }
      await this.sleep(wait, signal);
    }
  }

  /** One request with a generated one-second clip, for the setup checklist. */
  async verify(signal?: AbortSignal): Promise<TranscriberCheck> {
    const started = Date.now();
    const outcome = await this.post(
      { bytes: toneWav({ seconds: 1 }), fileName: "pincer-check.wav", mimeType: "audio/wav" },
      Math.min(this.timeoutMs, 30_000),
      signal,
    );
    const { endpoint, model } = this;
    return outcome.ok
      ? { ok: true, endpoint, model, text: outcome.text, elapsedMs: Date.now() - started }
      : { ok: false, endpoint, model, reason: outcome.reason, detail: outcome.detail };
  }

  private async post(
    clip: AudioClip,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Attempt> {
    const form = new FormData();
    form.append(
      "file",
      new File([new Uint8Array(clip.bytes)], uploadName(clip), {
        type: clip.mimeType ?? "application/octet-stream",
      }),
    );
    form.append("model", this.model);
    form.append("response_format", "json");
    const timeout = AbortSignal.timeout(timeoutMs);
    let status: number;
    let body: string;
    let contentType: string;
    let retryAfterMs: number | undefined;
    try {
      const response = await fetch(this.endpoint, {
        method: "POST",
        headers: this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {},
        body: form,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      status = response.status;
      contentType = response.headers.get("content-type") ?? "";
      retryAfterMs = requestedDelayMs(response.headers);
      body = await response.text();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (timeout.aborted) {
        const seconds = timeoutMs / 1000;
        return {
          ok: false,
          retryable: false,
          reason: `the transcription service did not answer within ${seconds} s`,
          detail: `no answer within ${seconds} s`,
        };
      }
      return {
        ok: false,
        retryable: true,
        reason: "the transcription service could not be reached",
        detail: `request failed: ${networkDetail(error)}`,
      };
    }
    if (status >= 200 && status < 300) return this.parse(body, contentType);
    const detail = `HTTP ${status}: ${serverMessage(body)}`;
    if (status === 429) {
      return {
        ok: false,
        retryable: true,
        reason: "the transcription service is limiting requests (HTTP 429)",
        detail,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    if (status >= 500 || status === 408) {
      return {
        ok: false,
        retryable: true,
        reason: `the transcription service failed (HTTP ${status})`,
        detail,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
      };
    }
    return { ok: false, retryable: false, reason: refusedReason(status), detail };
  }

  private parse(body: string, contentType: string): Attempt {
    if (contentType.startsWith("text/plain")) return { ok: true, text: body.trim() };
    try {
      const parsed = JSON.parse(body) as { text?: unknown };
      if (typeof parsed.text === "string") return { ok: true, text: parsed.text.trim() };
    } catch {
      // reported below
    }
    return {
      ok: false,
      retryable: false,
      reason: "the transcription service answered without a transcript",
      detail: `unexpected answer: ${serverMessage(body)}`,
    };
  }
}

/** The configured transcriber, or undefined when TRANSCRIBE_URL is not set. */
export function transcriberFromConfig(
  config: Pick<
    Config,
    "TRANSCRIBE_URL" | "TRANSCRIBE_API_KEY" | "TRANSCRIBE_MODEL" | "TRANSCRIBE_MAX_SECONDS"
  >,
): Transcriber | undefined {
  if (!config.TRANSCRIBE_URL) return undefined;
  return new Transcriber({
    url: config.TRANSCRIBE_URL,
    apiKey: config.TRANSCRIBE_API_KEY,
    model: config.TRANSCRIBE_MODEL,
    maxSeconds: config.TRANSCRIBE_MAX_SECONDS,
  });
}
