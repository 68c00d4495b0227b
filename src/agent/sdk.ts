// The Agent SDK's functions, loaded at their first call (the first agent session) instead
// of at start: the SDK is a 1.4 MB bundle that costs the host ~30 MB of RSS, which a
// service with no live agent does not need (bench/README.md, idle RSS). Node loads the ES
// module synchronously through require, so callers stay synchronous.
import { createRequire } from "node:module";
import type * as Sdk from "@anthropic-ai/claude-agent-sdk";

type AgentSdk = typeof Sdk;

const require = createRequire(import.meta.url);
let loaded: AgentSdk | undefined;

function sdk(): AgentSdk {
  return (loaded ??= require("@anthropic-ai/claude-agent-sdk") as AgentSdk);
}

export const query: AgentSdk["query"] = (params) => sdk().query(params);

export const createSdkMcpServer: AgentSdk["createSdkMcpServer"] = (options) =>
  sdk().createSdkMcpServer(options);

export const tool = ((...args: Parameters<AgentSdk["tool"]>) =>
  sdk().tool(...args)) as AgentSdk["tool"];
