// A fake OpenAI-compatible speech-to-text endpoint on 127.0.0.1: POST
// …/audio/transcriptions with a multipart upload (parsed by the platform's
// Request.formData(), as a real server's framework would), answering OpenAI's JSON shapes
// for success and errors. Tests script failures per request and read what was uploaded.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";

export interface TranscriptionUpload {
  path: string;
  authorization: string | undefined;
  model: string;
  responseFormat: string | undefined;
  fileName: string;
  mimeType: string;
  bytes: Uint8Array;
}

/** One scripted answer. Without `status` (or with 200) the responder's transcript is sent. */
export interface FakeStep {
  status?: number;
  /** Sent before answering; a client timeout shorter than this sees no answer. */
  delayMs?: number;
  headers?: Record<string, string>;
  /** Overrides the JSON body (a string is sent as is). */
  body?: unknown;
}

export type Responder = (upload: TranscriptionUpload) => string;

export interface TranscribeFake {
  /** The API base, as TRANSCRIBE_URL would name OpenAI's: http://127.0.0.1:port/v1 */
  url: string;
  /** Every request that reached the endpoint, parsed, in order (failed ones too). */
  uploads: TranscriptionUpload[];
  /** Every HTTP request, including ones refused before parsing. */
  readonly requestCount: number;
  /** Queues answers that win over the responder, one per request, in order. */
  enqueue(...steps: FakeStep[]): void;
  setResponder(responder: Responder): void;
  close(): Promise<void>;
}

export interface TranscribeFakeOptions {
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  responder?: Responder;
}

const defaultResponder: Responder = (upload) =>
  `transcript of ${upload.fileName} (${upload.bytes.byteLength} bytes)`;

function openAiError(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}

function toRequest(request: IncomingMessage, url: URL): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (typeof value === "string") headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  return new Request(url, {
    method: request.method ?? "POST",
    headers,
    body: Readable.toWeb(request) as ReadableStream<Uint8Array>,
    duplex: "half",
  } as RequestInit);
}

export async function startTranscribeFake(
  options: TranscribeFakeOptions = {},
): Promise<TranscribeFake> {
  const uploads: TranscriptionUpload[] = [];
  const steps: FakeStep[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let responder = options.responder ?? defaultResponder;
  let requestCount = 0;

  const send = (response: ServerResponse, status: number, body: unknown, headers = {}) => {
    if (response.destroyed) return;
    const text = typeof body === "string" ? body : JSON.stringify(body);
    response.writeHead(status, {
      "content-type": typeof body === "string" ? "text/plain" : "application/json",
      ...headers,
    });
    response.end(text);
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    requestCount += 1;
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (request.method !== "POST" || !url.pathname.endsWith("/audio/transcriptions")) {
      request.resume();
      send(
        response,
        404,
        openAiError(`Invalid URL (${request.method} ${url.pathname})`, "invalid_request_error"),
      );
      return;
    }
    const authorization = request.headers.authorization;
    if (options.apiKey && authorization !== `Bearer ${options.apiKey}`) {
      request.resume();
      send(
        response,
        401,
        openAiError("Incorrect API key provided.", "invalid_request_error", "invalid_api_key"),
      );
      return;
    }
    let form: FormData;
    try {
      form = await toRequest(request, url).formData();
    } catch (error) {
      send(
        response,
        400,
        openAiError(`Could not parse multipart form: ${String(error)}`, "invalid_request_error"),
      );
      return;
    }
    const file = form.get("file");
    const model = form.get("model");
    if (!(file instanceof File) || typeof model !== "string" || !model) {
      send(
        response,
        400,
        openAiError("Both 'file' and 'model' are required.", "invalid_request_error"),
      );
      return;
    }
    const responseFormat = form.get("response_format");
    const upload: TranscriptionUpload = {
      path: url.pathname,
      authorization,
      model,
      responseFormat: typeof responseFormat === "string" ? responseFormat : undefined,
      fileName: file.name,
      mimeType: file.type,
      bytes: new Uint8Array(await file.arrayBuffer()),
    };
    uploads.push(upload);
    const step = steps.shift() ?? {};
    const answer = () => {
      const status = step.status ?? 200;
      if (status >= 200 && status < 300) {
        send(response, status, step.body ?? { text: responder(upload) }, step.headers);
        return;
      }
      const type = status === 429 ? "rate_limit_exceeded" : "server_error";
      const body = step.body ?? openAiError(`The fake answered ${status}.`, type);
      send(response, status, body, step.headers);
    };
    if (!step.delayMs) return answer();
    const timer = setTimeout(() => {
      timers.delete(timer);
      answer();
    }, step.delayMs);
    timers.add(timer);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      send(response, 500, openAiError(`fake crashed: ${String(error)}`, "server_error"));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    uploads,
    get requestCount() {
      return requestCount;
    },
    enqueue: (...more) => void steps.push(...more),
    setResponder: (next) => void (responder = next),
    async close() {
      for (const timer of timers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
