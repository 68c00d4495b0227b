// The hop under test, in its own process as in the service: Pincer's credential proxy, or
// (`minimal`) the smallest Node pass-through proxy, the floor any HTTP hop in Node costs.
// Prints {url, token} once listening. Arguments: <upstream url> <credential|minimal>.
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { CredentialProxy } from "../src/agent/credential-proxy.ts";
import { createLogger } from "../src/log.ts";

const [upstream, kind] = process.argv.slice(2);
if (!upstream || (kind !== "credential" && kind !== "minimal"))
  throw new Error("usage: proxy-hop-child.ts <upstream url> <credential|minimal>");

if (kind === "credential") {
  const proxy = new CredentialProxy({
    upstream,
    credential: { apiKey: `sk-ant-bench-${"0".repeat(20)}` },
    logger: createLogger("silent"),
    onUsage() {},
  });
  await proxy.start();
  console.log(JSON.stringify({ url: proxy.url, token: proxy.issueToken(1) }));
} else {
  const target = new URL(upstream);
  const server = createServer((req, res) => {
    const { host: _host, connection: _connection, ...headers } = req.headers;
    const forwarded = request(target, { method: req.method, path: req.url, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forwarded.flushHeaders();
    req.pipe(forwarded);
  });
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as AddressInfo;
    console.log(JSON.stringify({ url: `http://127.0.0.1:${port}`, token: "unused" }));
  });
}
