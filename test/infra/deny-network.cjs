// Preloaded (NODE_OPTIONS=--require) into the CDK CLI and every Node process it starts: a TCP
// connection to anything but loopback is written to HOOKWATCH_NETWORK_LOG and refused.
const fs = require("node:fs");
const net = require("node:net");

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost", "::ffff:127.0.0.1"]);
const connect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function denyRemote(...args) {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  const options = typeof first === "object" && first !== null ? first : { port: first, host: args[1] };
  const host = options.host ?? "localhost";
  if (options.path === undefined && !LOOPBACK.has(host)) {
    fs.appendFileSync(
      process.env.HOOKWATCH_NETWORK_LOG ?? "/dev/stderr",
      `${process.pid} ${host}:${options.port}\n`,
    );
    process.nextTick(() => this.destroy(new Error(`network access to ${host} denied by the test`)));
    return this;
  }
  return connect.apply(this, args);
};
