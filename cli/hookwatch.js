#!/usr/bin/env node
// The `hookwatch` bin: the CLI is TypeScript, compiled in this process by tsx (a dev dependency),
// so `npx hookwatch` works right after `npm ci`, with no build step and no second process.
import { register } from "tsx/esm/api";

// The SDK's seven-line notice about its future Node versions would follow every answer on stderr;
// the repository pins its SDK versions. Set the variable to "false" to see it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
register();
const { processIo, runCli } = await import("./main.ts");
process.exitCode = await runCli(process.argv.slice(2), processIo());
