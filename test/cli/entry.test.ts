import { execFile, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliFixture, createCliFixture, writePipelineState } from "./cli-fixture.js";

// The real entry, as `npx hookwatch` runs it: the bin script in a child process.
const BIN = resolve(import.meta.dirname, "../../cli/hookwatch.js");

function hookwatch(
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: options.cwd, env: options.env ?? process.env },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        done({ code, stdout, stderr });
      },
    );
  });
}

let fixture: CliFixture;
let empty: string;
beforeAll(async () => {
  fixture = await createCliFixture();
  empty = await mkdtemp(join(tmpdir(), "hookwatch-cli-empty-"));
});
afterAll(async () => {
  await fixture.close();
  await rm(empty, { recursive: true, force: true });
});

describe("exit codes of the hookwatch bin", () => {
  it("0 with the usage for --help", async () => {
    const { code, stdout } = await hookwatch(["--help"], { cwd: empty });

    expect(code).toBe(0);
    expect(stdout).toContain("Usage: hookwatch <command>");
  });

  it("2 for an unknown command", async () => {
    const { code, stdout, stderr } = await hookwatch(["frob"], { cwd: empty });

    expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
    expect(stderr).toBe(
      'hookwatch: unknown command "frob": expected one of events, event, bursts, rejected, quarantine, conflicts, dlq, silence, status, selftest\nRun `hookwatch --help` for usage.\n',
    );
  });

  it("2 for a --since it cannot read", async () => {
    const { code, stderr } = await hookwatch(["events", "--local", "--since", "yesterday"], { cwd: empty });

    expect(code).toBe(2);
    expect(stderr).toContain(`--since "yesterday" is neither a duration`);
  });

  it("1 when the local pipeline is not running", async () => {
    const { code, stderr } = await hookwatch(["status", "--local"], { cwd: empty });

    expect(code).toBe(1);
    expect(stderr).toMatch(
      /^hookwatch: the local pipeline is not running \(no .local\/pipeline.json in .+ or above\): run npm start first\n$/,
    );
  });

  it("1 when the local pipeline's state file names a process that has exited", async () => {
    const ended = spawn(process.execPath, ["-e", ""]);
    const pid = ended.pid ?? 0;
    await new Promise((done) => ended.once("exit", done));
    const stale = await mkdtemp(join(tmpdir(), "hookwatch-cli-stale-"));
    await writePipelineState(stale, { ...fixture.state, pid });

    const { code, stderr } = await hookwatch(["events", "--local"], { cwd: stale });

    await rm(stale, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `the local pipeline is not running (pid ${pid} in .local/pipeline.json has exited): run npm start first`,
    );
  });

  it("1 with what to do when there are no AWS credentials", async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: empty,
      AWS_REGION: "us-east-1",
      AWS_CONFIG_FILE: join(empty, "no-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(empty, "no-credentials"),
      // No instance metadata lookup: tests never leave loopback.
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_ENDPOINT_URL: "http://127.0.0.1:9",
    };

    const { code, stderr } = await hookwatch(["events", "--app", "app_test"], { cwd: empty, env });

    expect(code).toBe(1);
    expect(stderr).toBe(
      "hookwatch: no AWS credentials: set AWS_PROFILE or run `aws sso login`, or use --local\n",
    );
  });

  it("0 with parseable --json from the local pipeline", async () => {
    const { code, stdout } = await hookwatch(
      ["events", "--local", "--hook", "migration", "--limit", "2", "--json"],
      {
        cwd: fixture.directory,
      },
    );

    expect(code).toBe(0);
    const { events } = JSON.parse(stdout) as { events: { dispatch_id: string }[] };
    expect(events.map((event) => event.dispatch_id)).toEqual(["event_id:evt_wrapped_1", "mig-07"]);
  });

  it("3 when `event` finds no event with the key", async () => {
    const { code, stderr } = await hookwatch(["event", "no-such-event", "--local"], {
      cwd: fixture.directory,
    });

    expect(code).toBe(3);
    expect(stderr).toContain(`no event with key "no-such-event"`);
  });

  it("2 for `dlq redrive` without --yes when stdin is not a terminal, moving nothing", async () => {
    const { code, stderr } = await hookwatch(["dlq", "redrive", "--local"], { cwd: fixture.directory });

    expect(code).toBe(2);
    expect(stderr).toContain("pass --yes when not running in a terminal");
    expect(await fixture.queueDepth(fixture.state.deadLetterQueueUrl)).toBe(2);
  });
});
