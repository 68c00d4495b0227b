// Start-up failures a person can fix: one line naming the setting and what to do, not a
// stack trace.
import { accessSync, constants, mkdirSync, statSync } from "node:fs";

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StartupError";
  }
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** Creates DATA_DIR if missing; a file in its place or a directory the service cannot write stops start-up. */
export function ensureDataDir(dir: string): void {
  const isFile = () =>
    new StartupError(
      `DATA_DIR=${dir} is a file, or inside one, not a directory: point DATA_DIR at a directory (Pincer creates it if missing).`,
    );
  const notWritable = (why: string) =>
    new StartupError(
      `DATA_DIR=${dir} is not writable by the service's user (uid ${process.getuid?.()}): ${why}. Make it writable (chown, chmod, a writable volume) or point DATA_DIR elsewhere.`,
    );
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    if (code(error) === "EEXIST" || code(error) === "ENOTDIR") throw isFile();
    throw notWritable((error as Error).message);
  }
  if (!statSync(dir).isDirectory()) throw isFile();
  try {
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw notWritable((error as Error).message);
  }
}

/** What a failed listen means for PORT or HOST, or undefined when it is not one of those. */
export function listenError(error: unknown, port: number, host: string): StartupError | undefined {
  switch (code(error)) {
    case "EADDRINUSE":
      return new StartupError(
        `PORT=${port} is already in use on ${host}: stop whatever listens there, or set PORT to a free port.`,
      );
    case "EACCES":
      return new StartupError(
        `PORT=${port} needs privileges this service does not have (ports below 1024 do): set PORT to 1024 or above, e.g. 3000.`,
      );
    case "EADDRNOTAVAIL":
    case "ENOTFOUND":
      return new StartupError(
        `HOST=${host} is not an address of this machine: set HOST to 0.0.0.0 (every interface) or 127.0.0.1 (this machine only).`,
      );
    default:
      return undefined;
  }
}
