/**
 * The bursts room owns burst detection: which transport failures make a burst (burst-window), the burst
 * items and claims in the state table (burst-record, burst-queries, burst-candidates, burst-lifecycle),
 * what is read back from the stored events (failure-index), and when a burst is paged and resolved
 * (this tracker for live failures, burst-publishing for the page/resolve/close sequence). It reads what
 * the webhook room stored and hands finished `BurstPage`s to a `Pager`; it never words a page, never
 * talks to SNS, and never parses a webhook.
 */
import type { BurstRule } from "../runtime/config.js";
import type { Hook } from "../runtime/hooks.js";
import { RetryLaterError } from "../runtime/retry-later-error.js";
import type { PreludeEvent } from "../webhook/event-validation.js";
import { addCandidate, readCandidates } from "./burst-candidates.js";
import { OPENING_ATTEMPTS, openBurst } from "./burst-lifecycle.js";
import { type BurstPublishing, publishTrigger, resolveBurst } from "./burst-publishing.js";
import {
  listBurstsStartingBy,
  listRecentBursts,
  RECENT_BURSTS,
  readBurst,
  readGroupHead,
} from "./burst-queries.js";
import { type BurstRecord, burstSk, type Group, type GroupHead, groupPartition } from "./burst-record.js";
import { type BurstWindow, type FailurePoint, findBurstWindow } from "./burst-window.js";
import { countResponseFailures, findBurstEnd, readSamples } from "./failure-index.js";

/** A transport failure, stored or already stored, handed to burst detection. */
export interface TransportFailure {
  readonly event: PreludeEvent;
  readonly hook: Hook;
  readonly occurredAtMs: number;
}

export interface BurstObserver {
  /** Called with every transport failure of a message, new or redelivered, so a retry completes a page. */
  observe(appId: string, failures: readonly TransportFailure[]): Promise<void>;
}

export interface BurstTrackerDeps extends BurstPublishing {
  readonly now: () => number;
  /** Told about a late window that cannot open while another burst of its group is open. */
  readonly onUnpagedWindow?: (group: Group, window: BurstWindow) => void;
}

/** How many sample events a page carries. */
const SAMPLE_COUNT = 5;
/** How many bursts a failure older than the recent ones reads around its time. */
const BURSTS_AROUND = 5;

interface GroupState {
  head: GroupHead;
  bursts: BurstRecord[];
}

/** One invocation's view of burst state: each group's head and recent bursts, read once and kept fresh. */
interface Tracker {
  readonly deps: BurstTrackerDeps;
  readonly states: Map<string, Promise<GroupState>>;
}

/**
 * Burst detection for one invocation. A failure inside a known burst costs no write: the group is read
 * once per invocation, and an open live burst again once per message. Outside one, a failure joins its
 * window's candidate bucket; the strongly consistent read that follows sees every earlier candidate, so
 * whichever failure crosses the threshold last sees it, and the open transaction lets exactly one racer page.
 */
export function createBurstTracker(deps: BurstTrackerDeps): BurstObserver {
  const tracker: Tracker = { deps, states: new Map() };
  return { observe: (appId, failures) => observeMessage(tracker, appId, failures) };
}

/** A message's failures, hook by hook, each in `occurred_at` order. */
async function observeMessage(
  tracker: Tracker,
  appId: string,
  failures: readonly TransportFailure[],
): Promise<void> {
  const byHook = new Map<Hook, TransportFailure[]>();
  for (const failure of failures) byHook.set(failure.hook, [...(byHook.get(failure.hook) ?? []), failure]);
  for (const [hook, hookFailures] of byHook) {
    const group = { appId, hook };
    const refreshed = new Set<string>();
    const rule = tracker.deps.rules[hook];
    const points = hookFailures
      .map((failure) => ({
        t: failure.occurredAtMs,
        reason: failure.event.reason ?? "unknown",
        key: failure.event.key,
      }))
      .sort((a, b) => a.t - b.t);
    for (const point of points) await observeFailure(tracker, group, point, rule, points, refreshed);
  }
}

/** One failure: inside a known burst it completes that burst's page; outside, it may open a burst. */
async function observeFailure(
  tracker: Tracker,
  group: Group,
  failure: FailurePoint,
  rule: BurstRule,
  sameMessage: readonly FailurePoint[],
  refreshed: Set<string>,
): Promise<void> {
  let known = await burstsAround(tracker, group, failure.t, rule);
  let covering = findCovering(known, failure.t, rule);
  if (covering && coveredUntil(covering, rule) === Number.POSITIVE_INFINITY && !refreshed.has(covering.sk)) {
    // An open live burst takes every later failure until its resolve fixes its end. Read it again once per
    // message, after the message's failures were stored: a resolve claimed since the invocation read it
    // either sees these failures (and is called off) or is seen here (and they are not taken in).
    refreshed.add(covering.sk);
    known = await refreshBurst(tracker, group, covering);
    covering = findCovering(known, failure.t, rule);
  }
  if (covering) {
    await pageIfNeeded(tracker, group, covering);
    return;
  }
  const window = await addToCandidates(tracker, group, failure, rule, known);
  if (window) await openWindow(tracker, group, failure, window, rule, sameMessage);
}

/** The burst a failure at `t` belongs to: from a window before its start until it has been quiet. */
function findCovering(bursts: readonly BurstRecord[], t: number, rule: BurstRule): BurstRecord | undefined {
  return bursts.find(
    (burst) => t >= burst.windowStartMs - rule.windowSeconds * 1000 && t <= coveredUntil(burst, rule),
  );
}

/**
 * The latest failure a burst takes in. An open live burst takes every later failure until a claim of its
 * resolve fixes its end; then, as once closed, its run up to that end plus the quiet period. A delayed one
 * only its own run, even while a failed publish keeps it open.
 */
function coveredUntil(burst: BurstRecord, rule: BurstRule): number {
  if (burst.status === "open" && !burst.delayed && burst.resolveEndMs === undefined)
    return Number.POSITIVE_INFINITY;
  return Math.max(burst.lastFailureMs, burst.resolveEndMs ?? 0) + rule.quietSeconds * 1000;
}

/** Adds the failure to its window's bucket; returns the window that crosses the threshold, if one does now. */
async function addToCandidates(
  tracker: Tracker,
  group: Group,
  failure: FailurePoint,
  rule: BurstRule,
  known: readonly BurstRecord[],
): Promise<BurstWindow | undefined> {
  const { deps } = tracker;
  const windowMs = rule.windowSeconds * 1000;
  const bucket = Math.floor(failure.t / windowMs) * windowMs;
  const partition = groupPartition(group);
  await addCandidate(deps.tables, partition, bucket, failure, deps.now());
  const candidates = (
    await readCandidates(deps.tables, partition, bucket - windowMs, bucket + windowMs)
  ).filter(
    (candidate) => Math.abs(candidate.t - failure.t) <= windowMs && !findCovering(known, candidate.t, rule),
  );
  return findBurstWindow(candidates, rule.threshold, windowMs);
}

/**
 * Opens the burst of a window that crossed the threshold and pages it, unless fresh state shows another
 * invocation did already. A delayed burst is resolved at once. The opening names the head's version: when
 * it is refused, another invocation opened this window's burst (paged here if need be) or another burst of
 * the group opened or closed meanwhile (read again and tried again). The window is never dropped: if the
 * group keeps moving, the message is retried.
 */
async function openWindow(
  tracker: Tracker,
  group: Group,
  failure: FailurePoint,
  window: BurstWindow,
  rule: BurstRule,
  sameMessage: readonly FailurePoint[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    let state = await reloadGroup(tracker, group);
    const fresh = await burstsAround(tracker, group, failure.t, rule);
    const already = findCovering(fresh, window.startMs, rule) ?? findCovering(fresh, failure.t, rule);
    if (already) {
      await pageIfNeeded(tracker, group, already);
      return;
    }
    if (state.head.openBurstSk !== undefined) {
      if (!(await freeGroupHead(tracker, group, state, window, rule))) return;
      state = await reloadGroup(tracker, group);
    }
    const burst = await buildBurst(tracker.deps, group, window, rule, sameMessage);
    if (await openBurst(tracker.deps.tables, burst, state.head)) {
      state.head = { version: state.head.version + 1, openBurstSk: burst.sk };
      state.bursts = [burst, ...state.bursts];
      // Resolved with the record as paged, so the resolve does not claim and re-read the page again.
      const paged = await pageIfNeeded(tracker, group, burst);
      if (burst.delayed && (await resolveDelayed(tracker.deps, paged, rule)))
        await reloadGroup(tracker, group);
      return;
    }
    if (attempt >= OPENING_ATTEMPTS) {
      throw new RetryLaterError(
        `the ${group.hook} bursts of app ${group.appId} changed ${attempt} times while the window from ${new Date(window.startMs).toISOString()} was opening; it opens when the message comes back`,
      );
    }
  }
}

/**
 * Another burst holds the group. A live one keeps it: the late window is counted, not paged (false). A
 * delayed one resolves at once, so one left open by a failed publish or a crash must not hold the group:
 * it is resolved now, or was meanwhile by another (true), or another invocation is resolving it and this
 * message retries later.
 */
async function freeGroupHead(
  tracker: Tracker,
  group: Group,
  state: GroupState,
  window: BurstWindow,
  rule: BurstRule,
): Promise<boolean> {
  const { deps } = tracker;
  const openSk = state.head.openBurstSk as string;
  const holder =
    state.bursts.find((burst) => burst.sk === openSk) ?? (await readBurst(deps.tables, group, openSk));
  if (holder?.status === "open" && !holder.delayed && window.startMs > coveredUntil(holder, rule)) {
    // Its resolve fixed its end and is going out: this window is a new outage, paged once the close lands.
    throw new RetryLaterError(
      `the burst ${holder.dedupKey} ended at ${new Date(holder.resolveEndMs ?? holder.lastFailureMs).toISOString()} and is being closed; the window from ${new Date(window.startMs).toISOString()} opens after it`,
    );
  }
  if (holder?.status !== "open" || !holder.delayed) {
    deps.onUnpagedWindow?.(group, window);
    return false;
  }
  if (!(await resolveDelayed(deps, holder, rule))) {
    // Refused because another invocation or the schedule resolved it since this one read the group: the
    // close that resolved it freed the group in the same transaction, so the window opens now.
    if ((await readBurst(deps.tables, group, openSk))?.status === "closed") return true;
    throw new RetryLaterError(
      `the delayed burst ${holder.dedupKey} is being resolved; this window opens after it`,
    );
  }
  return true;
}

/** Its failures are all in the past: it resolves at once, with the end of its run as known now. */
async function resolveDelayed(deps: BurstTrackerDeps, burst: BurstRecord, rule: BurstRule): Promise<boolean> {
  const end = await findBurstEnd(
    deps.tables,
    burst.group,
    burst.windowStartMs,
    rule.quietSeconds * 1000,
    burst.lastFailureMs,
  );
  return (await resolveBurst(deps, burst, end, deps.now())) !== undefined;
}

/** Pages an open burst that was not paged yet; returns the burst as it stands after (paged or not). */
async function pageIfNeeded(tracker: Tracker, group: Group, burst: BurstRecord): Promise<BurstRecord> {
  const { deps } = tracker;
  if (burst.status !== "open" || burst.pagedAt !== undefined) return burst;
  if (!(await publishTrigger(deps, burst, deps.now()))) return burst;
  const paged = { ...burst, pagedAt: new Date(deps.now()).toISOString() };
  const state = await groupState(tracker, group);
  state.bursts = state.bursts.map((known) => (known.sk === burst.sk ? paged : known));
  return paged;
}

/** Reads one burst again, strongly consistent, into the invocation's view of its group. */
async function refreshBurst(
  tracker: Tracker,
  group: Group,
  burst: BurstRecord,
): Promise<readonly BurstRecord[]> {
  const fresh = await readBurst(tracker.deps.tables, group, burst.sk);
  const state = await groupState(tracker, group);
  if (fresh !== undefined)
    state.bursts = state.bursts.map((known) => (known.sk === burst.sk ? fresh : known));
  return state.bursts;
}

const groupKey = (group: Group) => `${group.appId}#${group.hook}`;

function groupState(tracker: Tracker, group: Group): Promise<GroupState> {
  return tracker.states.get(groupKey(group)) ?? reloadGroup(tracker, group);
}

/** Reads the group's head and recent bursts again, strongly consistent, and keeps them for the invocation. */
function reloadGroup(tracker: Tracker, group: Group): Promise<GroupState> {
  const { tables } = tracker.deps;
  const state = Promise.all([readGroupHead(tables, group), listRecentBursts(tables, group)]).then(
    ([head, bursts]): GroupState => ({ head, bursts }),
  );
  tracker.states.set(groupKey(group), state);
  return state;
}

/**
 * The group's bursts that can cover a failure from `t - window` to `t + window`. The recent bursts
 * read up front cover any live failure; a failure older than all of them (a backlog redelivered out of
 * order) also reads the few bursts whose window starts by `t + 2 × window`, so that it joins the old
 * burst it belongs to instead of opening a second one over the same failures.
 */
async function burstsAround(
  tracker: Tracker,
  group: Group,
  t: number,
  rule: BurstRule,
): Promise<readonly BurstRecord[]> {
  const state = await groupState(tracker, group);
  const windowMs = rule.windowSeconds * 1000;
  const oldest = state.bursts.at(-1);
  const allRead = state.bursts.length < RECENT_BURSTS;
  if (allRead || oldest === undefined || t - windowMs - rule.quietSeconds * 1000 > oldest.windowStartMs) {
    return state.bursts;
  }
  const around = await listBurstsStartingBy(tracker.deps.tables, group, t + 2 * windowMs, BURSTS_AROUND);
  // Where both hold a burst, the invocation's own copy wins: it knows what this invocation paged.
  const bySk = new Map([...around, ...state.bursts].map((burst) => [burst.sk, burst]));
  state.bursts = [...bySk.values()].sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
  return state.bursts;
}

/** A burst as it stands when it opens: its window's candidates and the rest of the same message's failures. */
async function buildBurst(
  deps: BurstTrackerDeps,
  group: Group,
  window: BurstWindow,
  rule: BurstRule,
  sameMessage: readonly FailurePoint[],
): Promise<BurstRecord> {
  const nowMs = deps.now();
  const windowMs = rule.windowSeconds * 1000;
  const inWindow = (point: FailurePoint) => point.t >= window.startMs && point.t <= window.startMs + windowMs;
  const members = [
    ...new Map(
      [...window.members, ...sameMessage.filter(inWindow)].map((point) => [point.key, point]),
    ).values(),
  ];
  const lastMs = Math.max(...members.map((member) => member.t));
  const response = await countResponseFailures(deps.tables, group, window.startMs, window.startMs + windowMs);
  const startIso = new Date(window.startMs).toISOString();
  return {
    group,
    sk: burstSk(window.startMs),
    dedupKey: `hookwatch:${group.appId}:${group.hook}:${startIso}`,
    status: "open",
    delayed: nowMs - lastMs >= rule.quietSeconds * 1000,
    windowStartMs: window.startMs,
    windowEndMs: lastMs,
    firstFailureMs: window.startMs,
    lastFailureMs: lastMs,
    threshold: rule.threshold,
    windowSeconds: rule.windowSeconds,
    quietSeconds: rule.quietSeconds,
    transportCount: members.length,
    countsByReason: countByReason(members, response),
    responseCount: Object.values(response).reduce((sum, count) => sum + count, 0),
    samples: await readSamples(
      deps.tables,
      members.slice(0, SAMPLE_COUNT).map((member) => member.key),
      group.hook,
    ),
    openedAt: new Date(nowMs).toISOString(),
  };
}

/** The members' transport reasons counted, plus the response-level counts of the window. */
function countByReason(
  members: readonly FailurePoint[],
  response: Readonly<Record<string, number>>,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const member of members) counts[member.reason] = (counts[member.reason] ?? 0) + 1;
  for (const [reason, count] of Object.entries(response)) counts[reason] = (counts[reason] ?? 0) + count;
  return counts;
}
