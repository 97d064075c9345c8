import type { BurstRule } from "../runtime/config.js";
import type { Hook } from "../runtime/hooks.js";
import { RetryLaterError } from "../runtime/retry-later-error.js";
import type { PreludeEvent } from "../webhook/event-validation.js";
import { type BurstPublishing, publishTrigger, resolveBurst } from "./burst-publishing.js";
import {
  addCandidate,
  type BurstRecord,
  burstSk,
  countResponseFailures,
  findBurstEnd,
  type Group,
  type GroupHead,
  listBurstsStartingBy,
  listRecentBursts,
  openBurst,
  RECENT_BURSTS,
  readBurst,
  readCandidates,
  readGroupHead,
  readSamples,
} from "./burst-state.js";
import { type BurstWindow, type FailurePoint, findBurstWindow } from "./burst-window.js";

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

/**
 * The burst a failure at `t` belongs to: from a window before its start until it has been quiet. An open
 * live burst takes every later failure; a delayed one only its own run, even while a failed publish keeps it open.
 */
function findCovering(bursts: readonly BurstRecord[], t: number, rule: BurstRule): BurstRecord | undefined {
  return bursts.find(
    (burst) =>
      t >= burst.windowStartMs - rule.windowSeconds * 1000 &&
      ((burst.status === "open" && !burst.delayed) || t <= burst.lastFailureMs + rule.quietSeconds * 1000),
  );
}

/**
 * Burst detection for one invocation. A failure inside a known burst costs one cached read and no
 * write. Outside one, it joins its window's candidate bucket; the strongly consistent read that
 * follows sees every earlier candidate, so whichever failure crosses the threshold last sees it,
 * and the open transaction lets exactly one racer page.
 */
export function createBurstTracker(deps: BurstTrackerDeps): BurstObserver {
  const states = new Map<string, Promise<GroupState>>();
  const key = (group: Group) => `${group.appId}#${group.hook}`;
  const load = async (group: Group): Promise<GroupState> => {
    const [head, bursts] = await Promise.all([
      readGroupHead(deps.tables, group),
      listRecentBursts(deps.tables, group),
    ]);
    return { head, bursts };
  };
  const reload = (group: Group) => {
    const state = load(group);
    states.set(key(group), state);
    return state;
  };
  const stateOf = (group: Group) => states.get(key(group)) ?? reload(group);

  /**
   * The group's bursts that can cover a failure from `t - window` to `t + window`. The recent bursts
   * read up front cover any live failure; a failure older than all of them (a backlog redelivered out of
   * order) also reads the few bursts whose window starts by `t + 2 × window`, so that it joins the old
   * burst it belongs to instead of opening a second one over the same failures.
   */
  async function burstsAround(group: Group, t: number, rule: BurstRule): Promise<readonly BurstRecord[]> {
    const state = await stateOf(group);
    const windowMs = rule.windowSeconds * 1000;
    const oldest = state.bursts.at(-1);
    const allRead = state.bursts.length < RECENT_BURSTS;
    if (allRead || oldest === undefined || t - windowMs - rule.quietSeconds * 1000 > oldest.windowStartMs) {
      return state.bursts;
    }
    const around = await listBurstsStartingBy(deps.tables, group, t + 2 * windowMs, BURSTS_AROUND);
    // Where both hold a burst, the invocation's own copy wins: it knows what this invocation paged.
    const bySk = new Map([...around, ...state.bursts].map((burst) => [burst.sk, burst]));
    state.bursts = [...bySk.values()].sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
    return state.bursts;
  }

  /** Pages an open burst that was not paged yet; returns the burst as it stands after (paged or not). */
  async function pageIfNeeded(group: Group, burst: BurstRecord): Promise<BurstRecord> {
    if (burst.status !== "open" || burst.pagedAt !== undefined) return burst;
    if (!(await publishTrigger(deps, burst, deps.now()))) return burst;
    const paged = { ...burst, pagedAt: new Date(deps.now()).toISOString() };
    const state = await stateOf(group);
    state.bursts = state.bursts.map((known) => (known.sk === burst.sk ? paged : known));
    return paged;
  }

  /** A burst as it stands when it opens: its window's candidates and the rest of the same message's failures. */
  async function buildBurst(
    group: Group,
    window: BurstWindow,
    rule: BurstRule,
    sameMessage: readonly FailurePoint[],
  ): Promise<BurstRecord> {
    const nowMs = deps.now();
    const windowMs = rule.windowSeconds * 1000;
    const inWindow = (point: FailurePoint) =>
      point.t >= window.startMs && point.t <= window.startMs + windowMs;
    const members = [
      ...new Map(
        [...window.members, ...sameMessage.filter(inWindow)].map((point) => [point.key, point]),
      ).values(),
    ];
    const lastMs = Math.max(...members.map((member) => member.t));
    const countsByReason: Record<string, number> = {};
    for (const member of members) countsByReason[member.reason] = (countsByReason[member.reason] ?? 0) + 1;
    const response = await countResponseFailures(
      deps.tables,
      group,
      window.startMs,
      window.startMs + windowMs,
    );
    for (const [reason, count] of Object.entries(response))
      countsByReason[reason] = (countsByReason[reason] ?? 0) + count;
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
      countsByReason,
      responseCount: Object.values(response).reduce((sum, count) => sum + count, 0),
      samples: await readSamples(
        deps.tables,
        members.slice(0, SAMPLE_COUNT).map((member) => member.key),
        group.hook,
      ),
      openedAt: new Date(nowMs).toISOString(),
    };
  }

  async function observeOne(
    group: Group,
    failure: FailurePoint,
    rule: BurstRule,
    sameMessage: readonly FailurePoint[],
  ): Promise<void> {
    const known = await burstsAround(group, failure.t, rule);
    const covering = findCovering(known, failure.t, rule);
    if (covering) {
      await pageIfNeeded(group, covering);
      return;
    }

    const windowMs = rule.windowSeconds * 1000;
    const bucket = Math.floor(failure.t / windowMs) * windowMs;
    await addCandidate(deps.tables, group, bucket, failure, deps.now());
    const candidates = (
      await readCandidates(deps.tables, group, bucket - windowMs, bucket + windowMs)
    ).filter(
      (candidate) => Math.abs(candidate.t - failure.t) <= windowMs && !findCovering(known, candidate.t, rule),
    );
    const window = findBurstWindow(candidates, rule.threshold, windowMs);
    if (!window) return;

    let state = await reload(group);
    const fresh = await burstsAround(group, failure.t, rule);
    const already = findCovering(fresh, window.startMs, rule) ?? findCovering(fresh, failure.t, rule);
    if (already) {
      await pageIfNeeded(group, already);
      return;
    }
    if (state.head.openBurstSk !== undefined) {
      const holder =
        state.bursts.find((burst) => burst.sk === state.head.openBurstSk) ??
        (await readBurst(deps.tables, group, state.head.openBurstSk));
      if (holder?.status !== "open" || !holder.delayed) {
        deps.onUnpagedWindow?.(group, window);
        return;
      }
      // A delayed burst resolves at once; one left open by a failed publish or a crash must not hold the group.
      if (!(await resolveDelayed(group, holder, rule))) {
        throw new RetryLaterError(
          `the delayed burst ${holder.dedupKey} is being resolved; this window opens after it`,
        );
      }
      state = await reload(group);
    }
    const burst = await buildBurst(group, window, rule, sameMessage);
    if (!(await openBurst(deps.tables, burst, state.head))) {
      await reload(group);
      const winner = findCovering(await burstsAround(group, failure.t, rule), failure.t, rule);
      if (winner) await pageIfNeeded(group, winner);
      return;
    }
    state.head = { version: state.head.version + 1, openBurstSk: burst.sk };
    state.bursts = [burst, ...state.bursts];
    // Resolved with the record as paged, so the resolve does not claim and re-read the page again.
    const paged = await pageIfNeeded(group, burst);
    if (burst.delayed && (await resolveDelayed(group, paged, rule))) await reload(group);
  }

  /** Its failures are all in the past: it resolves at once, with the end of its run as known now. */
  async function resolveDelayed(group: Group, burst: BurstRecord, rule: BurstRule): Promise<boolean> {
    const end = await findBurstEnd(
      deps.tables,
      group,
      burst.windowStartMs,
      rule.quietSeconds * 1000,
      burst.lastFailureMs,
    );
    return (await resolveBurst(deps, burst, end, deps.now())) !== undefined;
  }

  return {
    async observe(appId: string, failures: readonly TransportFailure[]): Promise<void> {
      const byHook = new Map<Hook, TransportFailure[]>();
      for (const failure of failures)
        byHook.set(failure.hook, [...(byHook.get(failure.hook) ?? []), failure]);
      for (const [hook, hookFailures] of byHook) {
        const group = { appId, hook };
        const rule = deps.rules[hook];
        const points = hookFailures
          .map((failure) => ({
            t: failure.occurredAtMs,
            reason: failure.event.reason ?? "unknown",
            key: failure.event.key,
          }))
          .sort((a, b) => a.t - b.t);
        for (const point of points) await observeOne(group, point, rule, points);
      }
    },
  };
}
