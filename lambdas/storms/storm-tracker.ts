/**
 * The storms room owns response-level storms: a hook that answers 2xx with bodies Prelude cannot use, often
 * enough to be worth a `warning` (opt-in per hook, `responseStorm` in its rule). Storms are detected like
 * bursts (candidate buckets read back strongly consistent, the window rule, one open transaction) but in a
 * partition of their own, so transport bursts never see them; their warning and resolve carry a dedup key
 * of their own. It reads what the webhook room stored, reuses the bursts room's window rule, candidates and
 * index reads, and hands finished pages to a `Pager`.
 */
import { addCandidate, readCandidates } from "../bursts/burst-candidates.js";
import { OPENING_ATTEMPTS } from "../bursts/burst-lifecycle.js";
import type { Group } from "../bursts/burst-record.js";
import type { TransportFailure } from "../bursts/burst-tracker.js";
import { type FailurePoint, findBurstWindow } from "../bursts/burst-window.js";
import { countResponseFailures, readSamples } from "../bursts/failure-index.js";
import type { BurstRule, ResponseStormRule } from "../runtime/config.js";
import type { Hook } from "../runtime/hooks.js";
import { RetryLaterError } from "../runtime/retry-later-error.js";
import { publishStormWarning, type StormPublishing } from "./storm-publishing.js";
import { type StormHead, type StormRecord, stormDedupKey, stormPartition, stormSk } from "./storm-record.js";
import { listRecentStorms, openStorm, readStormHead } from "./storm-state.js";

/** A stored response-level failure of a hook: the same shape burst detection gets for transport failures. */
export type ResponseFailure = TransportFailure;

export interface StormObserver {
  /** Called with every response-level failure of a message, new or redelivered, so a retry completes a warning. */
  observe(appId: string, failures: readonly ResponseFailure[]): Promise<void>;
}

export interface StormTrackerDeps extends StormPublishing {
  readonly rules: Readonly<Record<Hook, BurstRule>>;
  readonly now: () => number;
}

/** How many of a group's newest storms an invocation reads; a failure older than all of them is counted only. */
const RECENT_STORMS = 5;
const SAMPLE_COUNT = 5;

interface StormState {
  head: StormHead;
  storms: StormRecord[];
}

/** Storm detection for one invocation: a failure inside a known storm costs no write. */
export function createStormTracker(deps: StormTrackerDeps): StormObserver {
  const states = new Map<string, Promise<StormState>>();
  const stateOf = (group: Group, fresh = false) => {
    const key = `${group.appId}#${group.hook}`;
    const known = states.get(key);
    if (known !== undefined && !fresh) return known;
    const read = Promise.all([
      readStormHead(deps.tables, group),
      listRecentStorms(deps.tables, group, RECENT_STORMS),
    ]).then(([head, storms]): StormState => ({ head, storms }));
    states.set(key, read);
    return read;
  };
  return {
    async observe(appId, failures) {
      for (const [hook, points] of pointsByHook(failures)) {
        const rule = deps.rules[hook].responseStorm;
        if (rule === undefined) continue;
        for (const point of points) await observeFailure(deps, { appId, hook }, point, rule, stateOf);
      }
    },
  };
}

/** A message's failures, hook by hook, each in `occurred_at` order. */
function pointsByHook(failures: readonly ResponseFailure[]): Map<Hook, FailurePoint[]> {
  const byHook = new Map<Hook, FailurePoint[]>();
  for (const failure of failures) {
    const point = {
      t: failure.occurredAtMs,
      reason: failure.event.reason ?? "unknown",
      key: failure.event.key,
    };
    byHook.set(failure.hook, [...(byHook.get(failure.hook) ?? []), point]);
  }
  for (const points of byHook.values()) points.sort((a, b) => a.t - b.t);
  return byHook;
}

/** The storm a failure at `t` belongs to: an open one takes every later failure, a closed one its own run. */
function findCovering(storms: readonly StormRecord[], t: number): StormRecord | undefined {
  return storms.find((storm) => {
    const windowMs = storm.windowSeconds * 1000;
    return (
      t >= storm.windowStartMs - windowMs && (storm.status === "open" || t <= storm.lastFailureMs + windowMs)
    );
  });
}

async function observeFailure(
  deps: StormTrackerDeps,
  group: Group,
  failure: FailurePoint,
  rule: ResponseStormRule,
  stateOf: (group: Group, fresh?: boolean) => Promise<StormState>,
): Promise<void> {
  const covering = findCovering((await stateOf(group)).storms, failure.t);
  if (covering) {
    await warnIfNeeded(deps, covering);
    return;
  }
  const windowMs = rule.windowSeconds * 1000;
  const partition = stormPartition(group);
  const bucket = Math.floor(failure.t / windowMs) * windowMs;
  await addCandidate(deps.tables, partition, bucket, failure, deps.now());
  const candidates = (
    await readCandidates(deps.tables, partition, bucket - windowMs, bucket + windowMs)
  ).filter((candidate) => Math.abs(candidate.t - failure.t) <= windowMs);
  const window = findBurstWindow(candidates, rule.threshold, windowMs);
  if (window === undefined) return;

  // The opening names the head's version: refused, the storm was opened by another invocation or the head
  // moved under it (another storm opened or closed). Read again and tried again; never dropped.
  for (let attempt = 1; ; attempt++) {
    const state = await stateOf(group, true);
    const already = findCovering(state.storms, window.startMs) ?? findCovering(state.storms, failure.t);
    if (already) {
      await warnIfNeeded(deps, already);
      return;
    }
    // Another storm of the group is open (this window is older than it): counted, not warned twice.
    if (state.head.openStormSk !== undefined) return;
    const storm = await buildStorm(deps, group, window.startMs, window.members, rule);
    if (await openStorm(deps.tables, storm, state.head)) {
      state.head = { version: state.head.version + 1, openStormSk: storm.sk };
      state.storms = [storm, ...state.storms];
      await warnIfNeeded(deps, storm);
      return;
    }
    if (attempt >= OPENING_ATTEMPTS) {
      throw new RetryLaterError(
        `the ${group.hook} response storms of app ${group.appId} changed ${attempt} times while the window from ${new Date(window.startMs).toISOString()} was opening; it opens when the message comes back`,
      );
    }
  }
}

async function warnIfNeeded(deps: StormTrackerDeps, storm: StormRecord): Promise<void> {
  if (storm.status !== "open" || storm.warnedAt !== undefined) return;
  await publishStormWarning(deps, storm, deps.now());
}

/** A storm as it stands when it opens: its window's response-level failures counted from the index. */
async function buildStorm(
  deps: StormTrackerDeps,
  group: Group,
  startMs: number,
  members: readonly FailurePoint[],
  rule: ResponseStormRule,
): Promise<StormRecord> {
  const lastMs = Math.max(...members.map((member) => member.t));
  const counts = await countResponseFailures(
    deps.tables,
    group,
    startMs,
    startMs + rule.windowSeconds * 1000,
  );
  // The index is eventually consistent: the members just read strongly are the floor.
  const indexed = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const countsByReason = indexed >= members.length ? counts : countMembers(members);
  return {
    group,
    sk: stormSk(startMs),
    dedupKey: stormDedupKey(group, startMs),
    status: "open",
    windowStartMs: startMs,
    lastFailureMs: lastMs,
    threshold: rule.threshold,
    windowSeconds: rule.windowSeconds,
    responseCount: Math.max(indexed, members.length),
    countsByReason,
    samples: await readSamples(
      deps.tables,
      members.slice(0, SAMPLE_COUNT).map((member) => member.key),
      group.hook,
    ),
    openedAt: new Date(deps.now()).toISOString(),
  };
}

function countMembers(members: readonly FailurePoint[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const member of members) counts[member.reason] = (counts[member.reason] ?? 0) + 1;
  return counts;
}
