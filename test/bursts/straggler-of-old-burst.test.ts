import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { groupPartition } from "../../lambdas/bursts/burst-record.js";
import { APP_ID, migrationFailure } from "../helpers/prelude-events.js";
import { createHarness, type Harness } from "../helpers/processor-harness.js";

const NOW = Date.parse("2026-11-20T10:00:00Z");
const TWO_DAYS_AGO = NOW - 2 * 86_400_000;
const BURSTS = 25;
const APART_MS = 10 * 60_000;
let harness: Harness;

beforeEach(async () => {
  harness = await createHarness();
  harness.clock.now = NOW;
});
afterEach(() => harness.close());

/** `count` migration transport failures, one second apart from `fromMs`. */
const burstItems = async () =>
  (await harness.stateItems(groupPartition({ appId: APP_ID, hook: "migration" }))).filter((item) =>
    String(item.sk).startsWith("BURST#"),
  );

const failures = (count: number, fromMs: number) =>
  Array.from({ length: count }, (_, index) =>
    migrationFailure({ occurred_at: new Date(fromMs + index * 1000).toISOString() }),
  );

// A backlog redelivered out of order: a failure of an old burst arrives after many newer bursts of its
// group have formed. It belongs to the old burst, whichever number of bursts came after it.
describe("a straggler of a burst older than many newer bursts of its group", () => {
  it("joins its own burst: no second burst over the same failures, no second page", async () => {
    for (let burst = 0; burst < BURSTS; burst += 1) {
      await harness.send(failures(5, TWO_DAYS_AGO + burst * APART_MS));
    }
    expect(harness.pager.pages).toHaveLength(2 * BURSTS);
    expect(await burstItems()).toHaveLength(BURSTS);

    // Ten seconds before the oldest burst's first failure: inside the window that burst covers.
    await harness.send(failures(1, TWO_DAYS_AGO - 10_000));

    expect(harness.pager.pages).toHaveLength(2 * BURSTS);
    expect(await burstItems()).toHaveLength(BURSTS);
  });
});
