import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import { readPagerFile } from "../../local/local-pager.js";
import { type LocalPipeline, startLocalPipeline } from "../../local/local-pipeline.js";
import { loadOrCreatePreludeSigner, type PreludeSigner } from "../../local/prelude-signer.js";
import { buildScenario } from "../../local/send-samples.js";
import type { PublishRecord } from "../../local/sns-stand-in.js";

// Two apps, so each scenario has its own burst; the quiet period leaves time to end a silence first.
const HELD_APP = "app_held";
const RELEASED_APP = "app_released";
const RUNBOOK = "https://wiki.example.com/runbooks/migration";
const QUIET_SECONDS = 30;
const DEADLINE_MS = 90_000;

let root: string;
let pipeline: LocalPipeline | undefined;
let signer: PreludeSigner;
const lines: string[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "hookwatch-silence-e2e-"));
  pipeline = await startLocalPipeline({
    root,
    port: 0,
    appIds: [HELD_APP, RELEASED_APP],
    context: { migrationQuietSeconds: String(QUIET_SECONDS), migrationRunbookUrl: RUNBOOK },
    recoveryIntervalSeconds: 1,
    logLevel: "SILENT",
    log: (line) => lines.push(line),
    printPage: () => {},
  });
  signer = await loadOrCreatePreludeSigner(join(root, ".local"));
}, 120_000);

afterAll(async () => {
  try {
    await pipeline?.stop();
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

/** Runs `npx hookwatch … --local` in-process against the running pipeline; the answer parsed from --json. */
async function hookwatch<T>(...args: string[]): Promise<T> {
  let stdout = "";
  let stderr = "";
  const code = await runCli([...args, "--local", "--json"], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    cwd: root,
    env: process.env,
    now: Date.now,
  });
  if (code !== 0) throw new Error(`hookwatch ${args.join(" ")} exited ${code}: ${stderr}`);
  return JSON.parse(stdout) as T;
}

async function sendBurst(appId: string): Promise<void> {
  const [request] = buildScenario("burst", { appId, signer });
  if (request === undefined) throw new Error("the burst scenario sent nothing");
  const response = await fetch(pipeline?.state.webhookUrl ?? "", {
    method: request.method,
    headers: request.headers,
    ...(request.body === undefined ? {} : { body: request.body }),
  });
  expect(response.status).toBe(200);
}

async function pagesOf(appId: string): Promise<PublishRecord[]> {
  return (await readPagerFile(pipeline?.state.pagerFile ?? "")).filter(
    (record) => record.MessageAttributes.app_id?.StringValue === appId,
  );
}

interface BurstJson {
  app_id: string;
  status: string;
  silenced: boolean;
  silence: { id: string } | null;
  paged_at: string | null;
}

async function burstOf(appId: string): Promise<BurstJson | undefined> {
  const { bursts } = await hookwatch<{ bursts: BurstJson[] }>("bursts", "--app", appId);
  return bursts[0];
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + DEADLINE_MS;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`gave up waiting for ${what}; pipeline said:\n${lines.slice(-20).join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const addSilence = (appId: string) =>
  hookwatch<{ silence: { id: string } }>(
    "silence",
    "add",
    "--app",
    appId,
    "--hook",
    "migration",
    "--for",
    "1h",
    "--reason",
    "planned DB work",
    "--by",
    "alice",
  ).then(({ silence }) => silence.id);

describe("silences on the local pipeline", () => {
  it("hold a burst's page, and send nothing, not even a resolve, when the burst ends while silenced", async () => {
    const id = await addSilence(HELD_APP);

    await sendBurst(HELD_APP);

    const held = await eventually("the silenced burst", async () => {
      const burst = await burstOf(HELD_APP);
      return burst?.silenced ? burst : undefined;
    });
    expect(held).toMatchObject({ status: "open", silence: { id }, paged_at: null });
    const closed = await eventually("the burst closed by the recovery schedule", async () => {
      const burst = await burstOf(HELD_APP);
      return burst?.status === "closed" ? burst : undefined;
    });
    expect(closed).toMatchObject({ silenced: true, paged_at: null });
    expect(await pagesOf(HELD_APP)).toEqual([]);
  }, 150_000);

  it("page a burst still open when the silence ends, once, naming the silence and the runbook", async () => {
    const id = await addSilence(RELEASED_APP);
    await sendBurst(RELEASED_APP);
    await eventually("the silenced burst", async () =>
      (await burstOf(RELEASED_APP))?.silenced ? true : undefined,
    );

    await hookwatch("silence", "end", id, "--by", "bob");

    const page = await eventually("the page after the silence", async () => (await pagesOf(RELEASED_APP))[0]);
    const messages = page.Message as Record<string, string>;
    const document = JSON.parse(messages.sqs ?? "{}");
    expect(document).toMatchObject({
      event_action: "trigger",
      severity: "critical",
      silence: { id, reason: "planned DB work", created_by: "alice" },
      runbook_url: RUNBOOK,
    });
    expect(messages.default).toContain(`Silence         ${id} by alice`);
    expect((await burstOf(RELEASED_APP))?.silenced).toBe(false);
    expect(
      (await pagesOf(RELEASED_APP)).map((record) => record.MessageAttributes.event_action?.StringValue),
    ).toEqual(["trigger"]);
  });
});
