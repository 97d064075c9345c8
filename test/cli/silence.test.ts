import { userInfo } from "node:os";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listSilences } from "../../lambdas/silences/silence-store.js";
import { migrationFailure } from "../helpers/prelude-events.js";
import { APP, type CliFixture, createCliFixture, NOW, tableRows } from "./cli-fixture.js";

let fixture: CliFixture;
beforeAll(async () => {
  fixture = await createCliFixture();
});
afterAll(() => fixture.close());

const stored = () =>
  listSilences({ client: fixture.harness.client, stateTableName: fixture.harness.tables.state });
const json = <T>(stdout: string) => JSON.parse(stdout) as T;
const ADD = ["silence", "add", "--local", "--app", APP];

interface SilenceJson {
  id: string;
  app_id: string;
  hook: string;
  state: string;
  starts_at: string;
  ends_at: string;
  reason: string;
  created_by: string;
  ended_by: string | null;
}

describe("silence add refuses bad input and writes nothing", () => {
  it.each<[string, string[], RegExp]>([
    ["no end", ["--hook", "migration", "--reason", "db work"], /a silence needs an end: --for 2h or --until/],
    [
      "an unknown hook",
      ["--hook", "checkout", "--for", "2h", "--reason", "db work"],
      /--hook "checkout" is unknown: use one of migration, step-up, all/,
    ],
    [
      "an end before the start",
      [
        "--hook",
        "all",
        "--start",
        "2026-11-21T02:00:00Z",
        "--until",
        "2026-11-21T01:00:00Z",
        "--reason",
        "x",
      ],
      /the end \(2026-11-21T01:00:00.000Z\) is not after the start \(2026-11-21T02:00:00.000Z\)/,
    ],
    ["no reason", ["--hook", "migration", "--for", "2h"], /a silence needs a reason \(--reason\)/],
    ["an empty reason", ["--hook", "migration", "--for", "2h", "--reason", " "], /a silence needs a reason/],
    [
      "an end already past",
      [
        "--hook",
        "migration",
        "--start",
        "2026-11-20T08:00:00Z",
        "--until",
        "2026-11-20T09:00:00Z",
        "--reason",
        "x",
      ],
      /has already passed/,
    ],
    [
      "both --for and --until",
      ["--hook", "migration", "--for", "2h", "--until", "2026-11-21T01:00:00Z", "--reason", "x"],
      /pass one of them/,
    ],
    [
      "a --for that is not a duration",
      ["--hook", "migration", "--for", "forever", "--reason", "x"],
      /--for "forever" is not a length of time/,
    ],
    ["more than 30 days", ["--hook", "migration", "--for", "5w", "--reason", "x"], /at most 30 days/],
  ])("%s", async (_, args, message) => {
    const before = (await stored()).length;

    const { code, stdout, stderr } = await fixture.run([...ADD, ...args]);

    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
    expect((await stored()).length).toBe(before);
  });

  it("without --app", async () => {
    const { code, stderr } = await fixture.run([
      "silence",
      "add",
      "--local",
      "--hook",
      "migration",
      "--for",
      "1h",
      "--reason",
      "x",
    ]);

    expect(code).toBe(2);
    expect(stderr).toContain("`silence add` needs exactly one --app ID");
  });
});

describe("silences", () => {
  let created: SilenceJson;

  it("are created with who and why, and listed as active", async () => {
    const add = await fixture.run([
      ...ADD,
      "--hook",
      "migration",
      "--for",
      "2h",
      "--reason",
      "migrating the user DB",
      "--json",
    ]);
    created = json<{ silence: SilenceJson }>(add.stdout).silence;

    expect(add.code).toBe(0);
    expect(created).toMatchObject({
      app_id: APP,
      hook: "migration",
      state: "active",
      starts_at: new Date(NOW).toISOString(),
      ends_at: new Date(NOW + 2 * 3_600_000).toISOString(),
      reason: "migrating the user DB",
      created_by: userInfo().username,
    });
    const list = await fixture.run(["silence", "list", "--local"]);
    expect(tableRows(list.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${created.id}\\s+active\\s+app_test\\s+migration\\s+2026-11-20 10:02:10Z\\s+2026-11-20 12:02:10Z \\(in 2h\\)\\s+${userInfo().username}\\s+migrating the user DB$`,
        ),
      ),
    ]);
  });

  it("mark the bursts they hold in bursts and status, text and --json", async () => {
    fixture.harness.clock.now = NOW + 10_000;
    await fixture.harness.send(
      Array.from({ length: 5 }, (_, i) =>
        migrationFailure({ occurred_at: new Date(NOW + i * 1000).toISOString() }),
      ),
    );

    const bursts = await fixture.run(["bursts", "--local", "--open"]);
    const burstsJson = json<{
      bursts: { hook: string; silenced: boolean; silence: { id: string } | null }[];
    }>((await fixture.run(["bursts", "--local", "--open", "--json"])).stdout);
    const status = await fixture.run(["status", "--local"]);
    const statusJson = json<{ silences: SilenceJson[]; open_bursts: { hook: string; silenced: boolean }[] }>(
      (await fixture.run(["status", "--local", "--json"])).stdout,
    );

    expect(
      fixture.harness.pager.pages.filter(
        (page) => page.hook === "migration" && page.at > new Date(NOW).toISOString(),
      ),
    ).toEqual([]);
    expect(bursts.stdout).toMatch(
      new RegExp(`^open, silenced\\s+app_test\\s+migration\\s.*silenced, held by ${created.id}`, "m"),
    );
    expect(bursts.stdout).toContain("Silenced: a silence holds the page");
    expect(burstsJson.bursts.map((b) => [b.hook, b.silenced, b.silence?.id ?? null])).toEqual([
      ["migration", true, created.id],
      ["step-up", false, null],
    ]);
    expect(status.stdout).toContain("silences           1 active, 0 pending\n");
    expect(status.stdout).toMatch(new RegExp(`^ {2}${created.id}\\s+active\\s+app_test\\s+migration`, "m"));
    expect(status.stdout).toMatch(
      new RegExp(`^ {2}app_test\\s+migration\\s.*silenced, held by ${created.id}`, "m"),
    );
    expect(statusJson.silences.map((s) => s.id)).toEqual([created.id]);
    expect(statusJson.open_bursts.find((b) => b.hook === "migration")?.silenced).toBe(true);
  });

  it("end early, by whom, and then list only with --all", async () => {
    const end = await fixture.run(["silence", "end", created.id, "--local", "--by", "bob"]);
    const again = await fixture.run(["silence", "end", created.id, "--local"]);
    const active = await fixture.run(["silence", "list", "--local"]);
    const all = json<{ silences: SilenceJson[] }>(
      (await fixture.run(["silence", "list", "--local", "--all", "--json"])).stdout,
    );

    expect(end.code).toBe(0);
    expect(end.stdout).toContain(`Silence ${created.id} ended at 2026-11-20 10:02:10Z by bob`);
    expect(again).toMatchObject({
      code: 0,
      stdout: expect.stringContaining("had already ended; nothing changed".slice(0, 17)),
    });
    expect(active.stdout).toBe("No silence is active or pending.\n");
    expect(all.silences).toEqual([
      expect.objectContaining({
        id: created.id,
        state: "ended",
        ended_by: "bob",
        ends_at: new Date(NOW).toISOString(),
      }),
    ]);
  });

  it("end an unknown id with exit code 3", async () => {
    const { code, stderr } = await fixture.run(["silence", "end", "sil_0000000000", "--local"]);

    expect(code).toBe(3);
    expect(stderr).toContain("no silence sil_0000000000");
  });
});

describe("against a deployed stack", () => {
  it("records the caller's ARN from STS as who created the silence, unless --by names someone", async () => {
    // CloudFormation and STS have no local emulator: doubles answer them; the table is DynamoDB Local's.
    const cloudFormation = mockClient(CloudFormationClient);
    const sts = mockClient(STSClient);
    const arn = "arn:aws:sts::123456789012:assumed-role/OnCall/alice@example.com";
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: "Hookwatch",
          StackStatus: "CREATE_COMPLETE",
          CreationTime: new Date(),
          Outputs: [
            { OutputKey: "EventsTableName", OutputValue: fixture.state.eventsTableName },
            { OutputKey: "StateTableName", OutputValue: fixture.state.stateTableName },
            { OutputKey: "DeadLetterQueueUrl", OutputValue: fixture.state.deadLetterQueueUrl },
          ],
        },
      ],
    });
    sts.on(GetCallerIdentityCommand).resolves({ Arn: arn, Account: "123456789012", UserId: "AROA:alice" });
    try {
      const args = [
        "silence",
        "add",
        "--app",
        APP,
        "--hook",
        "step-up",
        "--for",
        "30m",
        "--reason",
        "cert rotation",
        "--json",
      ];
      const fromSts = await fixture.run(args);
      const named = await fixture.run([...args, "--by", "carol"]);

      expect(fromSts.code).toBe(0);
      expect(json<{ silence: SilenceJson }>(fromSts.stdout).silence.created_by).toBe(arn);
      expect(json<{ silence: SilenceJson }>(named.stdout).silence.created_by).toBe("carol");
    } finally {
      cloudFormation.restore();
      sts.restore();
    }
  });
});
