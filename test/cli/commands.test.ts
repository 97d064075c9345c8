import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CloudFormationClient, DescribeStacksCommand, type Output } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type CliFixture, createCliFixture, tableRows, writePipelineState } from "./cli-fixture.js";

let fixture: CliFixture;
beforeAll(async () => {
  fixture = await createCliFixture();
});
afterAll(() => fixture.close());

const keyOf = (row: string) => /\b(?:stp|mig)-\d+\b|event_id:\S+/.exec(row)?.[0];
const json = <T>(stdout: string) => JSON.parse(stdout) as T;

describe("events", () => {
  it("lists every stored event of the pipeline's apps, newest first, as an aligned table", async () => {
    const { code, stdout, stderr } = await fixture.run(["events", "--local"]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout.split("\n")[0]).toMatch(
      /^TIME\s+AGO\s+HOOK\s+REASON\s+DISPATCH_ID\s+CORRELATION_ID\s+USER\s+SCOPE$/,
    );
    expect(tableRows(stdout).map(keyOf)).toEqual([
      "stp-118",
      "stp-116",
      "stp-114",
      "stp-112",
      "stp-110",
      "stp-03",
      "stp-02",
      "stp-01",
      "event_id:evt_wrapped_1",
      "mig-07",
      "mig-06",
      "mig-05",
      "mig-04",
      "mig-03",
      "mig-02",
      "mig-01",
    ]);
    expect(stdout).toMatch(
      /2026-11-20 10:00:30Z\s+1m ago\s+step-up\s+request_failed\s+stp-01\s+corr_s01\s+usr_alice\s+transfer_funds\n/,
    );
    expect(stdout).toMatch(/migration\s+invalid_response\s+event_id:evt_wrapped_1 \*\s+corr_m08\n/);
    expect(stdout).toContain("16 newest events for both hooks, app app_test, newest first");
  });

  it("narrows to one hook and one reason, and says when the limit may hide more", async () => {
    const { code, stdout } = await fixture.run([
      "events",
      "--local",
      "--hook",
      "migration",
      "--reason",
      "request_failed",
      "--limit",
      "3",
    ]);

    expect(code).toBe(0);
    expect(tableRows(stdout).map(keyOf)).toEqual(["mig-05", "mig-04", "mig-03"]);
    expect(stdout).not.toMatch(/USER|SCOPE/);
    expect(stdout).toContain("There may be more");
  });

  it("takes a reason class for --reason: transport leaves out unknown and response-level reasons", async () => {
    const { stdout } = await fixture.run(["events", "--local", "--hook", "step-up", "--reason", "transport"]);

    expect(tableRows(stdout).map(keyOf)).toEqual([
      "stp-118",
      "stp-116",
      "stp-114",
      "stp-112",
      "stp-110",
      "stp-02",
      "stp-01",
    ]);
  });

  it("starts at --since, given as an ISO time or as a duration back from now", async () => {
    const iso = await fixture.run(["events", "--local", "--since", "2026-11-20T10:00:45Z"]);
    const duration = await fixture.run(["events", "--local", "--since", "90s"]);

    expect(tableRows(iso.stdout).map(keyOf)).toEqual([
      "stp-118",
      "stp-116",
      "stp-114",
      "stp-112",
      "stp-110",
      "stp-03",
    ]);
    // 90 s before NOW (10:02:10) is 10:00:40: stp-02 is included, stp-01 at 10:00:30 is not.
    expect(tableRows(duration.stdout).map(keyOf).slice(-2)).toEqual(["stp-03", "stp-02"]);
  });

  it("gives scripts every projected field in --json, with null for what an event lacks", async () => {
    const { code, stdout } = await fixture.run(["events", "--local", "--json"]);

    expect(code).toBe(0);
    const { events } = json<{ events: Record<string, unknown>[] }>(stdout);
    expect(events).toHaveLength(16);
    expect(events[0]).toEqual({
      dispatch_id: "stp-118",
      key_source: "dispatch_id",
      type: "step_up.hook_failed",
      hook: "step-up",
      app_id: "app_test",
      reason: "request_failed",
      reason_class: "transport",
      time: "2026-11-20T10:01:58.000Z",
      occurred_at: "2026-11-20T10:01:58.000Z",
      received_at: "2026-11-20T10:01:58.000Z",
      correlation_id: "corr_s118",
      user_id: "usr_dave",
      session_id: "ses_dave",
      scope: "close_account",
    });
    expect(events.find((event) => event.key_source === "event_id")).toMatchObject({
      dispatch_id: "event_id:evt_wrapped_1",
      user_id: null,
      reason_class: "response",
    });
  });

  it("says plainly when nothing matches, and exits 0", async () => {
    const human = await fixture.run(["events", "--local", "--since", "2026-11-20T10:05:00Z"]);
    const machine = await fixture.run(["events", "--local", "--since", "2026-11-20T10:05:00Z", "--json"]);

    expect(human).toEqual({
      code: 0,
      stdout: "No events stored for both hooks, app app_test, since 2026-11-20 10:05:00Z.\n",
      stderr: "",
    });
    expect(json(machine.stdout)).toEqual({ events: [] });
  });

  it("reports its paging on stderr when stderr is a terminal, and clears the line before the answer", async () => {
    const quiet = await fixture.run(["events", "--local", "--limit", "1"]);
    const terminal = await fixture.run(["events", "--local", "--limit", "1"], { terminal: true });

    expect(quiet.stderr).toBe("");
    const clearLine = "\r\x1b[2K";
    expect(terminal.stderr.startsWith(`${clearLine}reading events: 1 page, `)).toBe(true);
    expect(terminal.stderr.endsWith(clearLine)).toBe(true);
    expect(terminal.stdout).toBe(quiet.stdout);
  });

  it("refuses a malformed --app with exit code 2", async () => {
    const { code, stderr } = await fixture.run(["events", "--local", "--app", "not an id"]);

    expect(code).toBe(2);
    expect(stderr).toContain(`--app "not an id" is not a Prelude app id`);
  });
});

describe("event", () => {
  it("shows one event with its raw payload, its key source and a conflicting later delivery", async () => {
    const { code, stdout } = await fixture.run(["event", "mig-03", "--local"]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^key\s+mig-03$/m);
    expect(stdout).toMatch(/^key source\s+dispatch_id: the event's dispatch_id, as Prelude sent it$/m);
    expect(stdout).toMatch(/^reason\s+request_failed \(transport class\)$/m);
    expect(stdout).toMatch(/^occurred_at\s+2026-11-20T10:00:04.000Z \(2m ago\)$/m);
    expect(stdout).toContain(`Payload, as received:\n{\n  "type": "migration.hook_failed",`);
    expect(stdout).toContain(`  "dispatch_id": "mig-03",\n  "correlation_id": "corr_m03"\n}`);
    expect(stdout).toContain("Conflicts: 1 later delivery with this key and other content");
    expect(stdout).toMatch(
      /^ {2}received 2026-11-20T10:01:15.000Z, request req-\S+, content hash [0-9a-f]{64}$/m,
    );
    expect(stdout).toContain(`    "dispatch_id": "mig-03",\n    "correlation_id": "corr_changed"\n  }`);
  });

  it("explains a key derived from the envelope id", async () => {
    const { stdout } = await fixture.run(["event", "event_id:evt_wrapped_1", "--local"]);

    expect(stdout).toMatch(/^key source\s+event_id: no dispatch_id in the event: the envelope's event id/m);
    expect(stdout).toMatch(/^envelope id\s+evt_wrapped_1$/m);
  });

  it("gives the stored item, the parsed payload and the conflicts in --json", async () => {
    const { stdout } = await fixture.run(["event", "mig-03", "--local", "--json"]);

    const output = json<{
      event: Record<string, unknown>;
      payload: unknown;
      key_source: unknown;
      conflicts: Record<string, unknown>[];
    }>(stdout);
    expect(output.event).toMatchObject({ dispatch_id: "mig-03", hook_key: "app_test#migration#transport" });
    expect(output.payload).toEqual({
      type: "migration.hook_failed",
      reason: "request_failed",
      occurred_at: "2026-11-20T10:00:04.000Z",
      dispatch_id: "mig-03",
      correlation_id: "corr_m03",
    });
    expect(output.key_source).toEqual({
      source: "dispatch_id",
      meaning: "the event's dispatch_id, as Prelude sent it",
    });
    expect(output.conflicts).toHaveLength(1);
    expect(output.conflicts[0]?.raw).toContain("corr_changed");
  });

  it("exits 3 when no event has the key", async () => {
    const { code, stdout, stderr } = await fixture.run(["event", "mig-99", "--local"]);

    expect({ code, stdout }).toEqual({ code: 3, stdout: "" });
    expect(stderr).toContain(`no event with key "mig-99"`);
  });
});

describe("bursts", () => {
  it("lists the open step-up burst before the resolved migration burst, with window, counts and dedup key", async () => {
    const { code, stdout } = await fixture.run(["bursts", "--local"]);

    expect(code).toBe(0);
    const rows = tableRows(stdout);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      /^open\s+app_test\s+step-up\s+2026-11-20 10:01:50Z → 10:01:58Z \(60s, threshold 5\)\s+5\s+0\s+request_failed 5\s+12s ago\s+2026-11-20 10:01:58Z\s+-\s+hookwatch:app_test:step-up:2026-11-20T10:01:50.000Z$/,
    );
    expect(rows[1]).toMatch(
      /^closed\s+app_test\s+migration\s+2026-11-20 10:00:00Z → 10:00:10Z \(60s, threshold 5\)\s+6\s+0\s+request_failed 5, invalid_status_code 1\s+2m ago\s+2026-11-20 10:00:10Z\s+2026-11-20 10:02:00Z\s+hookwatch:app_test:migration:2026-11-20T10:00:00.000Z$/,
    );
  });

  it("shows only open bursts with --open, and only bursts still relevant after --since", async () => {
    const open = await fixture.run(["bursts", "--local", "--open"]);
    const recent = await fixture.run(["bursts", "--local", "--since", "2026-11-20T10:03:00Z"]);

    expect(tableRows(open.stdout)).toEqual([expect.stringMatching(/^open\s+app_test\s+step-up\s/)]);
    expect(tableRows(recent.stdout)).toEqual([expect.stringMatching(/^open\s+app_test\s+step-up\s/)]);
  });

  it("says so when no burst of the chosen hook is open", async () => {
    const { code, stdout } = await fixture.run(["bursts", "--local", "--open", "--hook", "migration"]);

    expect({ code, stdout }).toEqual({ code: 0, stdout: "No open bursts for the migration hook.\n" });
  });

  it("gives each burst's times, counts and dedup key in --json", async () => {
    const { stdout } = await fixture.run(["bursts", "--local", "--json"]);

    const { bursts } = json<{ bursts: Record<string, unknown>[] }>(stdout);
    expect(bursts.map((burst) => burst.dedup_key)).toEqual([
      "hookwatch:app_test:step-up:2026-11-20T10:01:50.000Z",
      "hookwatch:app_test:migration:2026-11-20T10:00:00.000Z",
    ]);
    expect(bursts[0]).toMatchObject({
      status: "open",
      latest_failure_at: "2026-11-20T10:01:58.000Z",
      paged_at: "2026-11-20T10:01:58.000Z",
      resolved_at: null,
    });
    expect(bursts[1]).toMatchObject({
      app_id: "app_test",
      hook: "migration",
      status: "closed",
      delayed: false,
      window_start: "2026-11-20T10:00:00.000Z",
      first_failure_at: "2026-11-20T10:00:00.000Z",
      last_failure_at: "2026-11-20T10:00:10.000Z",
      transport_count: 6,
      counts_by_reason: { request_failed: 5, invalid_status_code: 1 },
      resolved_at: "2026-11-20T10:02:00.000Z",
      latest_failure_at: null,
    });
  });
});

describe("rejected and quarantine", () => {
  it("lists refused POSTs of the last 24 hours, newest first, with the reason", async () => {
    const { code, stdout } = await fixture.run(["rejected", "--local"]);

    expect(code).toBe(0);
    const rows = tableRows(stdout);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(
      /^2026-11-20 10:01:01Z\s+1m ago\s+app_other\s+req-other-app\s+\d+\s+app_id "app_other" is not a configured Prelude app$/,
    );
    expect(rows[1]).toMatch(
      /^2026-11-20 10:01:00Z\s+1m ago\s+req-forged\s+\d+\s+RSASSA-PSS signature does not verify/,
    );
  });

  it("starts rejected at --since and gives the records in --json", async () => {
    const { stdout } = await fixture.run([
      "rejected",
      "--local",
      "--since",
      "2026-11-20T10:01:00.500Z",
      "--json",
    ]);

    const { rejected } = json<{ rejected: Record<string, unknown>[] }>(stdout);
    expect(rejected).toEqual([
      expect.objectContaining({
        request_id: "req-other-app",
        claimed_app_id: "app_other",
        received_at: "2026-11-20T10:01:01.000Z",
        reason: `app_id "app_other" is not a configured Prelude app`,
      }),
    ]);
  });

  it("lists quarantined input with the part that failed, an excerpt and the reason", async () => {
    const { code, stdout } = await fixture.run(["quarantine", "--local", "--since", "1h"]);

    expect(code).toBe(0);
    const rows = tableRows(stdout);
    expect(rows[0]).toMatch(
      /^2026-11-20 10:01:11Z\s+59s ago\s+app_test\s+req-invalid-event\s+event 0\s+\{"type":"step_up.hook_failed".*…\s+step_up.hook_failed: user_id is required$/,
    );
    expect(rows[1]).toMatch(
      /^2026-11-20 10:01:10Z\s+1m ago\s+req-not-json\s+body\s+not json \{\s+body is not JSON/,
    );
    expect(rows).toHaveLength(2);
  });

  it("keeps the whole raw input of quarantined records in --json", async () => {
    const { stdout } = await fixture.run(["quarantine", "--local", "--json"]);

    const { quarantined } = json<{ quarantined: Record<string, unknown>[] }>(stdout);
    expect(quarantined.map((record) => record.request_id)).toEqual(["req-invalid-event", "req-not-json"]);
    expect(quarantined[1]).toMatchObject({ raw: "not json {", raw_bytes: 10 });
  });

  it("says so when nothing was quarantined since --since", async () => {
    const { code, stdout } = await fixture.run(["quarantine", "--local", "--since", "30s"]);

    expect({ code, stdout }).toEqual({
      code: 0,
      stdout: "Nothing quarantined since 2026-11-20 10:01:40Z (30s).\n",
    });
  });
});

describe("conflicts", () => {
  it("lists later deliveries of a stored key with other content, with the command that shows both", async () => {
    const { code, stdout } = await fixture.run(["conflicts", "--local"]);

    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toMatch(/^RECEIVED\s+AGO\s+APP\s+HOOK\s+REASON\s+KEY\s+REQUEST_ID\s+RAW$/);
    const rows = tableRows(stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      /^2026-11-20 10:01:15Z\s+55s ago\s+app_test\s+migration\s+request_failed\s+mig-03\s+\S+\s+\{"type":"migration.hook_failed".*…$/,
    );
    expect(stdout).toContain("1 conflict since 2026-11-19 10:02:10Z (24h), newest first");
    expect(stdout).toContain("npx hookwatch event mig-03 --local");
  });

  it("gives the whole conflicting input in --json, and nothing before --since", async () => {
    const all = json<{ conflicts: Record<string, unknown>[] }>(
      (await fixture.run(["conflicts", "--local", "--json"])).stdout,
    );
    const later = await fixture.run(["conflicts", "--local", "--since", "2026-11-20T10:01:16Z"]);

    expect(all.conflicts).toEqual([
      expect.objectContaining({
        event_key: "mig-03",
        app_id: "app_test",
        received_at: "2026-11-20T10:01:15.000Z",
        raw: expect.stringContaining("corr_changed"),
      }),
    ]);
    expect(all.conflicts[0]?.content_hash).not.toBe(all.conflicts[0]?.stored_content_hash);
    expect(later).toMatchObject({
      code: 0,
      stdout: "No conflicts since 2026-11-20 10:01:16Z (2026-11-20T10:01:16Z).\n",
    });
  });
});

describe("status", () => {
  it("shows queue depths, the open burst and the last hour's events by hook and reason", async () => {
    const { code, stdout } = await fixture.run(["status", "--local"]);

    expect(code).toBe(0);
    expect(stdout).toContain("webhook queue      0 waiting, 0 in flight\n");
    expect(stdout).toContain("dead-letter queue  2 waiting, 0 in flight   → npx hookwatch dlq --local\n");
    expect(stdout).toContain("open bursts        1\n");
    expect(stdout).toMatch(
      /^ {2}app_test\s+step-up\s+2026-11-20 10:01:50Z \(20s ago\)\s+12s ago\s+2026-11-20 10:01:58Z\s+hookwatch:app_test:step-up:/m,
    );
    expect(stdout).toContain("  16 events:\n");
    expect(stdout).toMatch(/^ {2}app_test\s+step-up\s+transport\s+request_failed\s+7$/m);
    expect(stdout).toMatch(/^ {2}app_test\s+step-up\s+unknown\s+brand_new_reason\s+1$/m);
    expect(stdout).toMatch(/^ {2}app_test\s+migration\s+transport\s+request_failed\s+5$/m);
    expect(stdout).toContain("  rejected: 2   → npx hookwatch rejected --since 1h --local\n");
    expect(stdout).toContain("  quarantined: 2   → npx hookwatch quarantine --since 1h --local\n");
    expect(stdout).toContain("  conflicts: 1   → npx hookwatch conflicts --since 1h --local");
  });

  it("gives the same in --json", async () => {
    const { stdout } = await fixture.run(["status", "--local", "--json"]);

    const status = json<{
      queue: unknown;
      dead_letter_queue: unknown;
      open_bursts: unknown[];
      last_hour: { events: unknown[]; rejected: number; quarantined: number; conflicts: number };
    }>(stdout);
    expect(status.queue).toEqual({ waiting: 0, in_flight: 0, delayed: 0 });
    expect(status.dead_letter_queue).toEqual({ waiting: 2, in_flight: 0, delayed: 0 });
    expect(status.open_bursts).toHaveLength(1);
    expect(status.last_hour).toMatchObject({ rejected: 2, quarantined: 2, conflicts: 1 });
    expect(status.last_hour.events).toContainEqual({
      app_id: "app_test",
      hook: "migration",
      reason_class: "response",
      reason: "missing_external_id",
      count: 1,
    });
  });
});

describe("finding the resources", () => {
  it("tells the operator to run npm start when no local pipeline is running", async () => {
    const empty = await mkdtemp(join(tmpdir(), "hookwatch-cli-empty-"));
    try {
      const { code, stdout, stderr } = await fixture.run(["events", "--local"], { cwd: empty });

      expect({ code, stdout }).toEqual({ code: 1, stdout: "" });
      expect(stderr).toMatch(/the local pipeline is not running .*: run npm start first/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("reads the local pipeline with its dummy key even when the operator's shell holds real credentials", async () => {
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = "AKIAOPERATORKEY";
    process.env.AWS_SECRET_ACCESS_KEY = "operator-secret";
    try {
      const { code, stdout } = await fixture.run(["events", "--local", "--json"]);

      expect(code).toBe(0);
      expect(JSON.parse(stdout).events).toHaveLength(16);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });

  it("says the local pipeline does not answer when its state file outlives its endpoints", async () => {
    const gone = await mkdtemp(join(tmpdir(), "hookwatch-cli-gone-"));
    await writePipelineState(gone, { ...fixture.state, dynamodbEndpoint: "http://127.0.0.1:9" });
    try {
      const { code, stderr } = await fixture.run(["events", "--local"], { cwd: gone });

      expect(code).toBe(1);
      expect(stderr).toBe(
        "hookwatch: the local pipeline does not answer on the endpoints in .local/pipeline.json: run npm start first\n",
      );
    } finally {
      await rm(gone, { recursive: true, force: true });
    }
  });

  describe("from a deployed stack's outputs", () => {
    // CloudFormation has no local emulator: only DescribeStacks is answered by a double. The tables
    // and queues it names are the fixture's, reached through the SDK's standard endpoint settings.
    let cloudFormation: ReturnType<typeof mockClient>;
    const sqsEndpoint = process.env.AWS_ENDPOINT_URL_SQS;
    const outputs = (): Output[] => [
      { OutputKey: "EventsTableName", OutputValue: fixture.state.eventsTableName },
      { OutputKey: "StateTableName", OutputValue: fixture.state.stateTableName },
      { OutputKey: "DeadLetterQueueUrl", OutputValue: fixture.state.deadLetterQueueUrl },
    ];

    beforeAll(() => {
      cloudFormation = mockClient(CloudFormationClient);
    });
    beforeEach(() => {
      // The SDK's standard setting, read when a client is created: the stack path has no endpoint in code.
      process.env.AWS_ENDPOINT_URL_SQS = fixture.sqsEndpoint;
    });
    afterEach(() => {
      cloudFormation.reset();
      if (sqsEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_SQS;
      else process.env.AWS_ENDPOINT_URL_SQS = sqsEndpoint;
    });
    afterAll(() => cloudFormation.restore());

    it("reads the stack's tables and finds the webhook queue as the dead-letter queue's source", async () => {
      cloudFormation.on(DescribeStacksCommand, { StackName: "Hookwatch" }).resolves({
        Stacks: [
          {
            StackName: "Hookwatch",
            StackStatus: "CREATE_COMPLETE",
            CreationTime: new Date(),
            Outputs: outputs(),
          },
        ],
      });

      const { code, stdout, stderr } = await fixture.run(["status", "--app", "app_test"]);

      expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
      expect(stdout).toContain("hookwatch status: stack Hookwatch (us-east-1)");
      expect(stdout).toContain("dead-letter queue  2 waiting, 0 in flight   → npx hookwatch dlq\n");
      expect(stdout).toContain("  16 events:\n");
    });

    it("asks which apps when neither --app, an AppIds output nor HOOKWATCH_APP_IDS names them", async () => {
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [
          {
            StackName: "Hookwatch",
            StackStatus: "CREATE_COMPLETE",
            CreationTime: new Date(),
            Outputs: outputs(),
          },
        ],
      });

      const without = await fixture.run(["events"]);
      const withVariable = await fixture.run(["events", "--json"], {
        env: { ...process.env, HOOKWATCH_APP_IDS: "app_test" },
      });

      expect(without.code).toBe(2);
      expect(without.stderr).toContain(
        "which Prelude apps? stack Hookwatch (us-east-1) does not say: pass --app ID",
      );
      expect(withVariable.code).toBe(0);
      expect(json<{ events: unknown[] }>(withVariable.stdout).events).toHaveLength(16);
    });

    it("names a stack that does not exist and suggests --stack or --local", async () => {
      cloudFormation
        .on(DescribeStacksCommand)
        .rejects(Object.assign(new Error("Stack with id Nope does not exist"), { name: "ValidationError" }));

      const { code, stderr } = await fixture.run(["events", "--stack", "Nope"]);

      expect(code).toBe(1);
      expect(stderr).toBe(
        "hookwatch: stack Nope not found in us-east-1: pass --stack NAME (and AWS_REGION), or --local for the local pipeline\n",
      );
    });

    it("names an output the stack lacks", async () => {
      cloudFormation.on(DescribeStacksCommand).resolves({
        Stacks: [
          {
            StackName: "Hookwatch",
            StackStatus: "CREATE_COMPLETE",
            CreationTime: new Date(),
            Outputs: outputs().filter((output) => output.OutputKey !== "StateTableName"),
          },
        ],
      });

      const { code, stderr } = await fixture.run(["bursts", "--open"]);

      expect(code).toBe(1);
      expect(stderr).toContain("stack Hookwatch has no output StateTableName");
    });
  });
});
