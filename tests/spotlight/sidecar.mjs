// Starts the real Spotlight sidecar for scopetel's tests, on 127.0.0.1 only.
//
// Usage: node sidecar.mjs [port]   (0 or nothing: a free port)
// Prints one JSON line {"port": N} once listening. Spotlight's own CLI (run.js) also
// loads instrument.js, which reports the sidecar's telemetry to sentry.io: this
// launcher starts the same server without it, so nothing leaves the machine.
import http from "node:http";
import { setupSpotlight } from "@spotlightjs/spotlight";

const listen = http.Server.prototype.listen;
http.Server.prototype.listen = function (...args) {
  // @hono/node-server listens on every interface unless given a host: keep it on loopback
  if (typeof args[0] === "number" && typeof args[1] !== "string") {
    args.splice(1, 0, "127.0.0.1");
  } else if (args[0] && typeof args[0] === "object" && !args[0].host) {
    args[0] = { ...args[0], host: "127.0.0.1" };
  }
  return listen.apply(this, args);
};

const port = Number(process.argv[2] || 0);
const server = await setupSpotlight({ port, isStandalone: true, logger: { info() {}, warn() {}, error: console.error, debug() {} } });
const address = server.address();
process.stdout.write(JSON.stringify({ port: address.port, host: address.address }) + "\n");
