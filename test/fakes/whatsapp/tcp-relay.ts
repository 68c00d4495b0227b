// A loopback TCP relay in front of a server, so a test can cut every open connection at
// once, as a network drop or a server-side close would, while the server keeps its state,
// and keep the server out of reach for a while, as an outage would.
import { connect, createServer, type Server, type Socket } from "node:net";

export class TcpRelay {
  private readonly server: Server;
  private readonly targetPort: number;
  private readonly pairs = new Set<[Socket, Socket]>();
  /** Clients accepted during a hold, not yet relayed; null when not holding. */
  private held: Socket[] | null = null;
  private port = 0;
  /** How many client connections the relay has accepted so far. */
  connections = 0;

  private constructor(targetPort: number) {
    this.targetPort = targetPort;
    this.server = createServer((client) => {
      this.connections += 1;
      if (!this.held) return this.relay(client);
      client.pause();
      client.on("error", () => client.destroy());
      this.held.push(client);
    });
  }

  private relay(client: Socket): void {
    const upstream = connect(this.targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    this.pairs.add(pair);
    const close = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  static async start(targetPort: number): Promise<TcpRelay> {
    const relay = new TcpRelay(targetPort);
    await new Promise<void>((resolve) => relay.server.listen(0, "127.0.0.1", resolve));
    const address = relay.server.address();
    if (address === null || typeof address === "string") throw new Error("relay has no port");
    relay.port = address.port;
    return relay;
  }

  get listenPort(): number {
    return this.port;
  }

  /** Severs every open connection; new ones are relayed as before. */
  dropAll(): void {
    for (const [client, upstream] of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** New connections are accepted but get no answer until release(). */
  hold(): void {
    this.held ??= [];
  }

  /** Relays the connections that waited during the hold, and new ones again. */
  release(): void {
    const waiting = this.held ?? [];
    this.held = null;
    for (const client of waiting) if (!client.destroyed) this.relay(client);
  }

  async close(): Promise<void> {
    for (const client of this.held ?? []) client.destroy();
    this.held = null;
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
