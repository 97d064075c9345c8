import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FAULT_KINDS } from "../../soak/fault-proxy.js";
import { INVARIANTS } from "../../soak/invariants.js";
import { runSoak, type SoakOptions, type SoakResult } from "../../soak/run-soak.js";
import { formatSummary } from "../../soak/summary.js";

// The short version of `npm run soak`. It starts its own local pipeline, so it needs this file's own
// worker process (vitest's forks pool): the handlers read their configuration once, at import.
const SHORT: Omit<SoakOptions, "log"> = {
  seed: "npm-test",
  batches: 180,
  liveSeconds: 12,
  faultRate: 0.05,
  // A short run publishes about twenty times and starts about fifty invocations: these rates make a run
  // without an SNS fault (0.65^20) or without a crash (0.85^50) a chance in thousands, not in a hundred.
  snsFaultRate: 0.35,
  crashRate: 0.15,
  poisonRate: 0.01,
  outageSeconds: 5,
  jwksOutageSeconds: 4,
  largePosts: 2,
};

let result: SoakResult;

beforeAll(async () => {
  result = await runSoak(SHORT);
}, 480_000);

afterAll(() => {
  if (result !== undefined) console.log(formatSummary(result));
});

describe("the short soak: the local pipeline under load and faults", () => {
  it("keeps every invariant, data and explanation alike", () => {
    const broken = result.invariants.filter((invariant) => !invariant.held);

    expect(broken, formatSummary(result)).toEqual([]);
    expect(result.invariants.map((invariant) => invariant.name)).toEqual(Object.values(INVARIANTS));
  });

  it("checked real cases: events, bad input, expected bursts both delayed and live", () => {
    const checked = Object.fromEntries(
      result.invariants.map((invariant) => [invariant.name, invariant.checked]),
    );

    expect(checked[INVARIANTS.storedOnce]).toBeGreaterThan(500);
    expect(checked[INVARIANTS.badInput]).toBeGreaterThan(100);
    expect(result.structures["backlog bursts"]).toBeGreaterThan(0);
    expect(result.structures["live bursts"]).toBeGreaterThan(0);
    expect(result.pages.triggers).toBeGreaterThanOrEqual(
      (result.structures["backlog bursts"] ?? 0) + (result.structures["live bursts"] ?? 0),
    );
  });

  it("ran under every kind of fault: DynamoDB errors and drops, SNS errors, crashes, poison, retries, dead letters", () => {
    for (const kind of FAULT_KINDS) expect(result.faults.dynamodb.injected[kind], kind).toBeGreaterThan(0);
    expect(Object.values(result.faults.sns.injected).reduce((sum, count) => sum + count, 0)).toBeGreaterThan(
      0,
    );
    expect(result.faults.processor.crashes).toBeGreaterThan(result.faults.processor.poisonCrashes);
    expect(result.faults.processor.poisonCrashes).toBeGreaterThan(0);
    expect(result.faults.processor.processor.injectedErrors).toBeGreaterThan(0);
    expect(result.deliveries.retriedMessages).toBeGreaterThan(0);
    expect(result.deliveries.deadLetters).toBeGreaterThan(0);
    expect(result.events.storedByRedrive).toBeGreaterThan(0);
  });

  it("ran through a JWKS outage over a key rotation and large batches, as many invocations at once as the stack allows", () => {
    expect(result.concurrency.allowed).toBe(5);
    expect(result.concurrency.peak).toBeGreaterThan(1);
    expect(result.concurrency.peak).toBeLessThanOrEqual(result.concurrency.allowed);
    expect(result.faults.jwks.rotated).toBe(true);
    expect(result.faults.jwks.refused).toBeGreaterThan(0);
    // A redelivered copy of a large body counts again, as Prelude would send it again.
    expect(result.largePosts.count).toBeGreaterThanOrEqual(SHORT.largePosts);
    expect(result.largePosts.maxEvents).toBeGreaterThanOrEqual(200);
  });
});
