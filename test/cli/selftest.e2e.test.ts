import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { VERIFICATION_TOKEN_FILE } from "../../local/local-files.js";
import { readPagerFile } from "../../local/local-pager.js";
import { type LocalPipeline, startLocalPipeline } from "../../local/local-pipeline.js";
import { LOCAL_DIRECTORY } from "../../local/pipeline-state.js";
import type { PublishRecord } from "../../local/sns-stand-in.js";

/*
 * `npx hookwatch selftest --local` against a local pipeline started here, as a user runs it after
 * `npm start`: first on a healthy pipeline (it must pass), then with one hop broken at a time.
 */

let root: string;
let pipeline: LocalPipeline | undefined;
const lines: string[] = [];
const printedPages: string[] = [];
/** While set, every processor invocation fails, as a processor that cannot run would. */
let processorDown = false;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hookwatch-selftest-"));
  pipeline = await startLocalPipeline({
    root,
    port: 0,
    // A failed probe comes back after 1 s instead of the stack's 181 s.
    visibilityTimeoutSeconds: 1,
    logLevel: "SILENT",
    log: (line) => lines.push(line),
    printPage: (text) => printedPages.push(text),
    wrapProcessor: (handler) => async (event, context) => {
      if (processorDown) throw new Error("the processor is down (test)");
      return handler(event, context);
    },
  });
});

afterAll(async () => {
  try {
    await pipeline?.stop();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

interface HopJson {
  readonly hop: string;
  readonly verdict: "verified" | "failed" | "not_verifiable";
  readonly detail: string;
  readonly fix: string | null;
}

async function selftest(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(["selftest", "--local", ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: root,
    env: process.env,
    now: Date.now,
  });
  return { code, stdout, stderr };
}

async function selftestJson(...args: string[]): Promise<{ code: number; hops: HopJson[] }> {
  const run = await selftest("--json", ...args);
  expect(run.stderr).toBe("");
  return { code: run.code, hops: (JSON.parse(run.stdout) as { hops: HopJson[] }).hops };
}

function verdictOf(hops: readonly HopJson[], name: string): HopJson {
  const hop = hops.find((candidate) => candidate.hop === name);
  if (hop === undefined) throw new Error(`no hop "${name}" in ${hops.map((h) => h.hop).join(", ")}`);
  return hop;
}

async function readPages(): Promise<PublishRecord[]> {
  return readPagerFile(pipeline?.state.pagerFile ?? "");
}

describe("npx hookwatch selftest --local", () => {
  it("verifies every hop the local pipeline can prove, says why the others cannot be, and exits 0", async () => {
    const { code, hops } = await selftestJson();

    expect(hops.filter((hop) => hop.verdict === "failed")).toEqual([]);
    expect(code).toBe(0);
    expect(verdictOf(hops, "activation: configured token").verdict).toBe("verified");
    expect(verdictOf(hops, "activation: wrong token").verdict).toBe("verified");
    for (const probe of ["probe: application/json", "probe: application/json; charset=utf-8"]) {
      expect(verdictOf(hops, probe)).toMatchObject({ verdict: "verified" });
      expect(verdictOf(hops, probe).detail).toMatch(
        /rejected by the processor .*reason: unknown key id "hookwatch-selftest-/,
      );
    }
    // The stack's queue takes SQS's 1 MiB, and the local stand-in reports and enforces the stack's maximum.
    expect(verdictOf(hops, "probe: body near the queue maximum")).toMatchObject({
      verdict: "verified",
      detail: expect.stringContaining("(queue maximum 1048576 bytes)"),
    });
    expect(verdictOf(hops, "queues: webhook, delivery and dead-letter depth").verdict).toBe("verified");
    expect(verdictOf(hops, "permissions: processor may page")).toMatchObject({ verdict: "not_verifiable" });
    expect(verdictOf(hops, "alarms: every alarm of the stack OK")).toMatchObject({
      verdict: "not_verifiable",
    });
    expect(hops.some((hop) => hop.hop.startsWith("test page"))).toBe(false);
    expect(await readPages()).toEqual([]);
  });

  it("prints one line per hop and a summary", async () => {
    const { code, stdout } = await selftest();

    expect(code).toBe(0);
    expect(stdout).toMatch(/^verified\s+activation: configured token\s+GET answered 200/m);
    expect(stdout).toMatch(
      /^not verifiable\s+alarms: every alarm of the stack OK\s+the local pipeline has no CloudWatch alarms/m,
    );
    expect(stdout).toMatch(
      /\d+ verified, 0 failed, \d+ not verifiable\. No hop failed\. Nothing was sent to on-call/,
    );
  });

  it("--page sends one TEST page and its resolve through the paging topic", async () => {
    const { code, hops } = await selftestJson("--page");

    expect(code).toBe(0);
    expect(verdictOf(hops, "test page: trigger and resolve").verdict).toBe("verified");
    const pages = await readPages();
    expect(pages).toHaveLength(2);
    const documents = pages.map(
      (page) => JSON.parse((page.Message as Record<string, string>).https ?? "") as Record<string, unknown>,
    );
    expect(documents.map((document) => document.event_action)).toEqual(["trigger", "resolve"]);
    expect(documents[0]?.dedup_key).toMatch(/^hookwatch-selftest-/);
    expect(documents[1]?.dedup_key).toBe(documents[0]?.dedup_key);
    expect(documents.every((document) => document.test === true)).toBe(true);
    expect(pages.map((page) => page.Subject)).toEqual([
      expect.stringContaining("TEST page"),
      expect.stringContaining("TEST resolve"),
    ]);
    expect(printedPages.join("\n")).toContain("no action is needed");
  });

  it("fails the activation hop when the configured token is not the one the endpoint answers", async () => {
    const tokenFile = join(root, LOCAL_DIRECTORY, VERIFICATION_TOKEN_FILE);
    const original = await readFile(tokenFile, "utf8");
    await writeFile(tokenFile, "a-token-the-endpoint-does-not-know\n");
    try {
      const { code, hops } = await selftestJson();

      expect(code).toBe(1);
      expect(verdictOf(hops, "activation: configured token")).toMatchObject({
        verdict: "failed",
        detail: expect.stringContaining("refused the token"),
        fix: expect.stringContaining("restart npm start"),
      });
      expect(verdictOf(hops, "activation: wrong token").verdict).toBe("verified");
    } finally {
      await writeFile(tokenFile, original);
    }
  });

  it("fails the probe hops when the processor does not run, and says where to look", async () => {
    processorDown = true;
    try {
      const { code, hops } = await selftestJson("--wait", "3s");

      expect(code).toBe(1);
      const probe = verdictOf(hops, "probe: application/json");
      expect(probe.verdict).toBe("failed");
      expect(probe.detail).toMatch(/^queued as request \S+, but no rejected record for it within 3 s$/);
      expect(probe.fix).toContain("processor");
      expect(verdictOf(hops, "activation: configured token").verdict).toBe("verified");
    } finally {
      processorDown = false;
    }
  });
});
