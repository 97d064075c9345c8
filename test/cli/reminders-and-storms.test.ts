import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processMessage } from "../../lambdas/processor/process-message.js";
import { closeQuietBursts } from "../../lambdas/recovery/close-quiet-bursts.js";
import { DEFAULT_BURST_RULE } from "../../lambdas/runtime/config.js";
import { createStormTracker } from "../../lambdas/storms/storm-tracker.js";
import { batchBody, migrationFailure, stepUpFailure } from "../helpers/prelude-events.js";
import { BASE, type CliFixture, createCliFixture, tableRows } from "./cli-fixture.js";

let fixture: CliFixture;
const at = (seconds: number) => new Date(BASE + seconds * 1000).toISOString();

beforeAll(async () => {
  fixture = await createCliFixture();
  const { harness } = fixture;
  // The fixture's step-up burst was paged at 10:01:58; it keeps failing, and reminds every minute.
  harness.clock.now = BASE + 178_000;
  await harness.send([stepUpFailure({ occurred_at: at(178) })]);
  const rules = { ...harness.rules, "step-up": { ...DEFAULT_BURST_RULE, reminderMinutes: 1 } };
  await closeQuietBursts({ tables: harness.burstTables, pager: harness.pager, rules }, BASE + 179_000);
  // The migration hook answers bodies Prelude cannot use, with the warning on at 3 within 60 s.
  const stormRules = {
    ...harness.rules,
    migration: { ...DEFAULT_BURST_RULE, responseStorm: { threshold: 3, windowSeconds: 60 } },
  };
  const storms = createStormTracker({
    tables: harness.burstTables,
    pager: harness.pager,
    rules: stormRules,
    now: () => harness.clock.now,
  });
  harness.clock.now = BASE + 102_000;
  const failures = [100, 101, 102].map((second) =>
    migrationFailure({ reason: "invalid_response", occurred_at: at(second) }),
  );
  await processMessage(harness.deps({ storms }), harness.signedMessage(batchBody(failures)));
}, 120_000);
afterAll(() => fixture.close());

describe("bursts", () => {
  it("shows the reminders sent for a burst, and the response-level warnings below the bursts", async () => {
    const { code, stdout } = await fixture.run(["bursts", "--local"]);

    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toMatch(/\bPAGED\s+REMINDERS\s+RESOLVED\b/);
    expect(tableRows(stdout)[0]).toMatch(
      /^open\s+app_test\s+step-up\s.*\s1, last 2026-11-20 10:02:59Z\s+-\s+hookwatch:app_test:step-up:/,
    );
    const warnings = stdout.slice(stdout.indexOf("Response-level warnings"));
    expect(tableRows(warnings)).toEqual([
      expect.stringMatching(
        /^open\s+app_test\s+migration\s+2026-11-20 10:01:40Z \(60s, threshold 3\)\s+3\s+invalid_response 3\s+2026-11-20 10:01:42Z\s+-\s+hookwatch:app_test:migration:response-storm:2026-11-20T10:01:40.000Z$/,
      ),
    ]);
  });

  it("lists the open warning with --open, and carries reminders and warnings in --json", async () => {
    const open = await fixture.run(["bursts", "--local", "--open"]);
    const { stdout } = await fixture.run(["bursts", "--local", "--json"]);

    expect(open.stdout).toContain("Open response-level warnings\n");
    const parsed = JSON.parse(stdout) as {
      bursts: Record<string, unknown>[];
      response_storms: Record<string, unknown>[];
    };
    expect(parsed.bursts[0]).toMatchObject({
      hook: "step-up",
      reminders_sent: 1,
      last_reminder_at: "2026-11-20T10:02:59.000Z",
    });
    expect(parsed.bursts[1]).toMatchObject({ hook: "migration", reminders_sent: 0, last_reminder_at: null });
    expect(parsed.response_storms).toEqual([
      expect.objectContaining({
        app_id: "app_test",
        hook: "migration",
        status: "open",
        severity: "warning",
        response_count: 3,
        counts_by_reason: { invalid_response: 3 },
        warned_at: "2026-11-20T10:01:42.000Z",
        resolved_at: null,
      }),
    ]);
  });
});

describe("status", () => {
  it("shows the open burst's reminders and the open response-level warning, in text and --json", async () => {
    const text = await fixture.run(["status", "--local"]);
    const { stdout } = await fixture.run(["status", "--local", "--json"]);

    expect(text.stdout).toMatch(
      /^ {2}app_test\s+step-up\s.*\s1, last 2026-11-20 10:02:59Z\s+hookwatch:app_test:step-up:/m,
    );
    expect(text.stdout).toContain("response warnings  1 open\n");
    expect(text.stdout).toMatch(/^ {2}open\s+app_test\s+migration\s.*response-storm/m);
    const status = JSON.parse(stdout) as {
      open_bursts: Record<string, unknown>[];
      open_response_storms: Record<string, unknown>[];
    };
    expect(status.open_bursts[0]).toMatchObject({ reminders_sent: 1 });
    expect(status.open_response_storms).toEqual([
      expect.objectContaining({
        dedup_key: "hookwatch:app_test:migration:response-storm:2026-11-20T10:01:40.000Z",
      }),
    ]);
  });
});
