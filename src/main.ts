// The entry point. Settings from ./.env join the environment, then secrets leave the
// environment block: when one is there, the process re-executes itself without it
// (secret-env.ts), and doing that before the service's modules load keeps the second start
// as cheap as a bare Node start.
import { takeSecretsFromEnvironment } from "./secret-env.ts";

const secrets = takeSecretsFromEnvironment();
const { main } = await import("./service.ts");
await main(secrets);
