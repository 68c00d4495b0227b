// A SOCKS5 proxy on 127.0.0.1 that all of one browser's traffic goes through (Chromium
// sends host names, so DNS is resolved here). Every connection, whether a typed URL, a
// redirect, a click, a subresource or a WebSocket, is checked against the URL policy with
// the addresses it really goes to, so no name or redirect reaches the service's own ports.
import { lookup } from "node:dns/promises";
import { createConnection, createServer, isIP, type Server, type Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { refusedConnection } from "./url-policy.ts";

const HANDSHAKE_TIMEOUT_MS = 10_000;

// SOCKS5 reply codes (RFC 1928).
const SUCCEEDED = 0x00;
const GENERAL_FAILURE = 0x01;
const NOT_ALLOWED = 0x02;
const HOST_UNREACHABLE = 0x04;
const CONNECTION_REFUSED = 0x05;
const COMMAND_NOT_SUPPORTED = 0x07;
const ADDRESS_NOT_SUPPORTED = 0x08;

export interface SocksGuardOptions {
  servicePorts(): readonly number[];
  /** Called for each refused connection, to tell the agent why a page did not load. */
  onRefused(text: string): void;
}

function ownAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .map((info) => info?.address)
    .filter((address): address is string => address !== undefined);
}

/** Reads exact byte counts from a socket that is still in the handshake. */
class HandshakeReader {
  private buffered = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  private ended = false;
  private readonly socket: Socket;
  private readonly onData = (chunk: Buffer) => {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    this.wake?.();
  };
  private readonly onEnd = () => {
    this.ended = true;
    this.wake?.();
  };

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", this.onData);
    socket.once("end", this.onEnd);
    socket.once("close", this.onEnd);
  }

  async take(count: number): Promise<Buffer> {
    while (this.buffered.length < count) {
      if (this.ended) throw new Error("client went away during the SOCKS handshake");
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    const out = this.buffered.subarray(0, count);
    this.buffered = this.buffered.subarray(count);
    return out;
  }

  /** Stops reading; returns what arrived beyond the handshake. */
  release(): Buffer {
    this.socket.off("data", this.onData);
    this.socket.off("end", this.onEnd);
    this.socket.off("close", this.onEnd);
    return this.buffered;
  }
}

function reply(socket: Socket, code: number): void {
  socket.write(Buffer.from([0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]));
}

async function readTarget(reader: HandshakeReader): Promise<{ host: string; port: number }> {
  const [, command, , addressType] = await reader.take(4);
  if (command !== 0x01) throw new SocksError(COMMAND_NOT_SUPPORTED, "only CONNECT is supported");
  let host: string;
  if (addressType === 0x01) {
    host = [...(await reader.take(4))].join(".");
  } else if (addressType === 0x03) {
    const [length] = await reader.take(1);
    host = (await reader.take(length!)).toString("latin1");
  } else if (addressType === 0x04) {
    const bytes = await reader.take(16);
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
    host = groups.join(":");
  } else {
    throw new SocksError(ADDRESS_NOT_SUPPORTED, `address type ${addressType}`);
  }
  const port = (await reader.take(2)).readUInt16BE(0);
  return { host, port };
}

class SocksError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

export class SocksGuard {
  private readonly options: SocksGuardOptions;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(options: SocksGuardOptions) {
    this.options = options;
    this.server = createServer((socket) => {
      this.track(socket);
      this.handle(socket).catch(() => socket.destroy());
    });
  }

  get url(): string {
    return `socks5://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(0, "127.0.0.1", () => resolve());
    });
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  }

  private async handle(client: Socket): Promise<void> {
    client.setTimeout(HANDSHAKE_TIMEOUT_MS, () => client.destroy());
    const reader = new HandshakeReader(client);
    const [version, methodCount] = await reader.take(2);
    if (version !== 0x05) throw new Error("not SOCKS5");
    await reader.take(methodCount!);
    client.write(Buffer.from([0x05, 0x00])); // no authentication: only loopback can reach us
    let target: { host: string; port: number };
    try {
      target = await readTarget(reader);
    } catch (error) {
      if (error instanceof SocksError) reply(client, error.code);
      throw error;
    }
    const address = await this.resolveChecked(target.host, target.port).catch((error: unknown) => {
      reply(client, error instanceof SocksError ? error.code : HOST_UNREACHABLE);
      client.end();
      return undefined;
    });
    if (address === undefined) return;
    const upstream = createConnection({ host: address, port: target.port });
    this.track(upstream);
    let connected = false;
    upstream.once("error", (error: NodeJS.ErrnoException) => {
      if (!connected && !client.destroyed) {
        reply(client, error.code === "ECONNREFUSED" ? CONNECTION_REFUSED : GENERAL_FAILURE);
        client.end();
      } else {
        client.destroy();
      }
    });
    upstream.once("connect", () => {
      connected = true;
      client.setTimeout(0);
      reply(client, SUCCEEDED);
      const early = reader.release();
      if (early.length > 0) upstream.write(early);
      client.pipe(upstream);
      upstream.pipe(client);
      client.once("close", () => upstream.destroy());
      upstream.once("close", () => client.destroy());
    });
  }

  /** The address to connect to, after refusing any that is the service's own. */
  private async resolveChecked(host: string, port: number): Promise<string> {
    const addresses =
      isIP(host) !== 0 ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
    if (addresses.length === 0) throw new SocksError(HOST_UNREACHABLE, `no address for ${host}`);
    const servicePorts = this.options.servicePorts();
    const own = servicePorts.includes(port) ? ownAddresses() : [];
    for (const address of addresses) {
      const reason = refusedConnection(address, port, servicePorts, own);
      if (reason) {
        this.options.onRefused(`Refused a connection to ${host}:${port}: ${reason}.`);
        throw new SocksError(NOT_ALLOWED, reason);
      }
    }
    return addresses[0]!;
  }
}
