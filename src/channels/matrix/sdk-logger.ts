// matrix-js-sdk logs every request at debug and its housekeeping at info/warn through its own
// logger interface; this routes a client's logging into the service's pino logger, one level
// down (its "info" is our debug: the SDK's chatter is not the service's news).
import { format } from "node:util";
import type { Logger as SdkLogger } from "matrix-js-sdk/lib/logger.js";
import type { Logger } from "../../log.ts";

export function sdkLogger(logger: Logger): SdkLogger {
  return {
    trace: (...msg: unknown[]) => logger.trace(format(...msg)),
    debug: (...msg: unknown[]) => logger.trace(format(...msg)),
    info: (...msg: unknown[]) => logger.debug(format(...msg)),
    warn: (...msg: unknown[]) => logger.warn(format(...msg)),
    error: (...msg: unknown[]) => logger.error(format(...msg)),
    getChild: () => sdkLogger(logger),
  };
}
