import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { migrationFailuresFrom } from "../helpers/prelude-events.js";
import { createHarness, type Harness, pageLines } from "../helpers/processor-harness.js";

const NOW = Date.parse("2026-11-20T10:00:00Z");
const TWO_DAYS_AGO = NOW - 2 * 86_400_000;
let harness: Harness;

beforeEach(async () => {
  harness = await createHarness();
  harness.clock.now = NOW;
});
afterEach(() => harness.close());

const failures = migrationFailuresFrom;
const pages = () => pageLines(harness);

// The soak (seeds 2 and 5) found this: a backlog burst whose resolve failed stayed open, and took in the
// failures of an outage happening now, which then never paged.
describe("a delayed burst left open by a failed publish", () => {
  it("does not swallow a live burst of its group: the live burst still pages", async () => {
    harness.pager.failNext();
    await expect(harness.send(failures(5, TWO_DAYS_AGO))).rejects.toThrow(/SNS is unavailable/);

    await harness.send(failures(5, NOW - 4_000));

    expect(pages()).toContain("trigger 2026-11-20T09:59:56.000Z");
  });

  it("is resolved at the end of its own failures when a later burst of its group needs the group", async () => {
    harness.pager.failNext();
    await expect(harness.send(failures(5, TWO_DAYS_AGO))).rejects.toThrow(/SNS is unavailable/);

    await harness.send(failures(5, NOW - 4_000));

    expect(pages()).toEqual([
      "trigger 2026-11-18T10:00:00.000Z delayed",
      "resolve 2026-11-18T10:00:00.000Z delayed",
      "trigger 2026-11-20T09:59:56.000Z",
    ]);
    expect(harness.pager.pages[1]?.lastFailureAt).toBe("2026-11-18T10:00:04.000Z");
  });

  it("still takes in a late failure of its own run", async () => {
    harness.pager.failNext();
    const backlog = failures(6, TWO_DAYS_AGO);
    await expect(harness.send(backlog.slice(0, 5))).rejects.toThrow(/SNS is unavailable/);

    await harness.send(backlog.slice(5));

    expect(pages()).toEqual(["trigger 2026-11-18T10:00:00.000Z delayed"]);
  });
});
