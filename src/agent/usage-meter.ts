// Reads token usage out of a Messages API response as it streams past: the SSE events
// `message_start` (input and cache tokens) and `message_delta` (output tokens), or the
// `usage` object of a plain JSON response.
import type { UsageRecord } from "../store/usage.ts";

type Usage = Omit<UsageRecord, "groupId" | "at">;

interface UsageFields {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export class UsageMeter {
  private readonly streaming: boolean;
  private buffer = "";
  private readonly decoder = new TextDecoder();
  private readonly usage: Usage = {
    model: "unknown",
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
  };
  private seen = false;

  constructor(contentType: string) {
    this.streaming = contentType.includes("text/event-stream");
  }

  push(chunk: Buffer): void {
    // SSE allows CRLF line endings; normalise so events split on a blank line either way
    // (a CR at the end of one chunk pairs with the LF that starts the next).
    this.buffer = (this.buffer + this.decoder.decode(chunk, { stream: true })).replace(
      /\r\n/g,
      "\n",
    );
    if (!this.streaming) return;
    let end: number;
    while ((end = this.buffer.indexOf("\n\n")) !== -1) {
      const event = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      for (const line of event.split("\n")) {
        if (line.startsWith("data:")) this.readEvent(line.slice(5).trim());
      }
    }
  }

  finish(): Usage | undefined {
    if (!this.streaming) this.readJson(this.buffer);
    return this.seen ? this.usage : undefined;
  }

  private readEvent(data: string): void {
    let event: {
      type?: string;
      message?: { model?: string; usage?: UsageFields };
      usage?: UsageFields;
    };
    try {
      event = JSON.parse(data) as typeof event;
    } catch {
      return;
    }
    if (event.type === "message_start" && event.message) {
      this.usage.model = event.message.model ?? this.usage.model;
      this.apply(event.message.usage);
    } else if (event.type === "message_delta") {
      this.apply(event.usage);
    }
  }

  private readJson(text: string): void {
    try {
      const body = JSON.parse(text) as { model?: string; usage?: UsageFields };
      this.usage.model = body.model ?? this.usage.model;
      this.apply(body.usage);
    } catch {
      // not JSON: nothing to count
    }
  }

  private apply(fields: UsageFields | undefined): void {
    if (!fields) return;
    this.seen = true;
    if (fields.input_tokens !== undefined) this.usage.inputTokens = fields.input_tokens;
    // message_delta carries the running output total, so the last value wins.
    if (fields.output_tokens !== undefined) this.usage.outputTokens = fields.output_tokens;
    if (fields.cache_read_input_tokens !== undefined)
      this.usage.cacheReadTokens = fields.cache_read_input_tokens;
    if (fields.cache_creation_input_tokens !== undefined)
      this.usage.cacheWriteTokens = fields.cache_creation_input_tokens;
  }
}
