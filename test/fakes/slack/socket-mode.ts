// The Socket Mode side of the Slack fake: single-use tickets from apps.connections.open,
// `hello` on connect, `events_api` envelopes that stay pending until the client acks them
// by envelope_id, and redelivery of every unacked envelope (retry_attempt + 1) to the next
// connection, as Slack does after a reconnect.
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import type { ChangeSignal } from "./wait.ts";

export interface EnvelopeRecord {
  envelopeId: string;
  payload: Record<string, unknown>;
  event: Record<string, unknown>;
  /** How many times it was sent; the first send has retry_attempt 0. */
  deliveries: number;
  acked: boolean;
  /** events_api for Events API events; interactive for block_actions and other interactivity. */
  type: "events_api" | "interactive";
}

export class SocketModeHub {
  readonly envelopes: EnvelopeRecord[] = [];
  /** Connections that received `hello`, in order; closed ones stay counted. */
  connectionCount = 0;
  private readonly tickets = new Set<string>();
  private readonly sockets: WebSocket[] = [];
  private readonly server = new WebSocketServer({ noServer: true });
  private readonly appId: string;
  private readonly changes: ChangeSignal;

  constructor(appId: string, changes: ChangeSignal) {
    this.appId = appId;
    this.changes = changes;
  }

  issueTicket(): string {
    const ticket = randomUUID();
    this.tickets.add(ticket);
    return ticket;
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const ticket = url.searchParams.get("ticket") ?? "";
    if (url.pathname !== "/link/" || !this.tickets.delete(ticket)) {
      socket.end("HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  get openConnections(): number {
    return this.sockets.length;
  }

  enqueue(
    payload: Record<string, unknown>,
    event: Record<string, unknown>,
    type: EnvelopeRecord["type"] = "events_api",
  ): EnvelopeRecord {
    const record: EnvelopeRecord = {
      envelopeId: randomUUID(),
      payload,
      event,
      deliveries: 0,
      acked: false,
      type,
    };
    this.envelopes.push(record);
    const socket = this.sockets.at(-1);
    if (socket) this.send(record, socket);
    this.changes.notify();
    return record;
  }

  /** Ends every connection without a close handshake, like a network failure. */
  drop(): void {
    for (const socket of [...this.sockets]) socket.terminate();
  }

  /** Asks every client to reconnect, as Slack does before recycling a server. */
  requestRefresh(): void {
    const message = JSON.stringify({
      type: "disconnect",
      reason: "refresh_requested",
      debug_info: { host: "applink-fake" },
    });
    for (const socket of this.sockets) socket.send(message);
  }

  close(): void {
    this.drop();
    this.server.close();
  }

  private accept(ws: WebSocket): void {
    this.sockets.push(ws);
    ws.on("message", (data) => this.onClientMessage(String(data)));
    ws.on("close", () => {
      const at = this.sockets.indexOf(ws);
      if (at >= 0) this.sockets.splice(at, 1);
      this.changes.notify();
    });
    ws.send(
      JSON.stringify({
        type: "hello",
        num_connections: this.sockets.length,
        debug_info: { host: "applink-fake", build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
    );
    this.connectionCount += 1;
    for (const record of this.envelopes) if (!record.acked) this.send(record, ws);
    this.changes.notify();
  }

  private send(record: EnvelopeRecord, socket: WebSocket): void {
    const attempt = record.deliveries;
    record.deliveries += 1;
    socket.send(
      JSON.stringify({
        envelope_id: record.envelopeId,
        payload: record.payload,
        type: record.type,
        accepts_response_payload: record.type === "interactive",
        retry_attempt: attempt,
        retry_reason: attempt > 0 ? "timeout" : "",
      }),
    );
  }

  private onClientMessage(text: string): void {
    let message: { envelope_id?: unknown };
    try {
      message = JSON.parse(text) as { envelope_id?: unknown };
    } catch {
      return;
    }
    const record = this.envelopes.find((r) => r.envelopeId === message.envelope_id);
    if (!record) return;
    record.acked = true;
    this.changes.notify();
  }
}
