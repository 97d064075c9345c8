import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JavaMissingError } from "../../local/dynamodb-local.js";
import { AlreadyRunningError, type LocalPipeline, startLocalPipeline } from "../../local/local-pipeline.js";
import { LOCAL_DIRECTORY, PIPELINE_STATE_FILE } from "../../local/pipeline-state.js";
import { PortInUseError } from "../../local/webhook-endpoint.js";

let root: string;
let attempt: Promise<LocalPipeline> | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "hookwatch-refusals-"));
  attempt = undefined;
});

afterEach(async () => {
  // Should a refusal not happen, whatever did start is stopped all the same.
  await attempt?.then(
    (pipeline) => pipeline.stop(),
    () => {},
  );
  await rm(root, { recursive: true, force: true });
});

describe("npm start refuses to start, with a one-line reason", () => {
  it("when another pipeline is running in the same folder (pipeline.json names a live process)", async () => {
    await mkdir(join(root, LOCAL_DIRECTORY), { recursive: true });
    const other = { pid: process.ppid, webhookUrl: "http://127.0.0.1:3000/webhook" };
    await writeFile(join(root, PIPELINE_STATE_FILE), JSON.stringify(other));

    attempt = startLocalPipeline({ root, port: 0, log: () => {} });

    await expect(attempt).rejects.toThrow(AlreadyRunningError);
    await expect(attempt).rejects.toThrow(`pid ${process.ppid}`);
  });

  it("when the webhook port is taken", async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      attempt = startLocalPipeline({ root, port, log: () => {} });

      await expect(attempt).rejects.toThrow(PortInUseError);
      await expect(attempt).rejects.toThrow(`port ${port} is already in use`);
    } finally {
      server.close();
    }
  });

  it("when Java is missing, before spending time on the synthesis", async () => {
    const path = process.env.PATH;
    process.env.PATH = root;
    try {
      attempt = startLocalPipeline({ root, port: 0, log: () => {} });

      await expect(attempt).rejects.toThrow(JavaMissingError);
    } finally {
      process.env.PATH = path;
    }
  });
});
