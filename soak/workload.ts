import type { Hook } from "../lambdas/runtime/hooks.js";
import { createSeededRandom } from "./seeded-random.js";

/** The burst rule of one hook, as the soak configures the pipeline. */
export interface BurstRuleSpec {
  readonly threshold: number;
  readonly windowSeconds: number;
  readonly quietSeconds: number;
}
export type WorkloadRules = Readonly<Record<Hook, BurstRuleSpec>>;

/** One app's one hook: where bursts are counted. */
export interface Group {
  readonly appId: string;
  readonly hook: Hook;
}
export const groupName = (group: Group) => `${group.appId}/${group.hook}`;

// Written out from PRELUDE-WEBHOOKS.md rather than imported, so the record does not borrow hookwatch's lists.
const EVENT_TYPE: Readonly<Record<Hook, string>> = {
  migration: "migration.hook_failed",
  "step-up": "step_up.hook_failed",
};
export const TRANSPORT_REASONS = ["request_failed", "invalid_status_code"] as const;
export const RESPONSE_REASONS: Readonly<Record<Hook, readonly string[]>> = {
  migration: ["response_decode_failed", "missing_external_id", "missing_identifiers", "invalid_response"],
  "step-up": [
    "response_decode_failed",
    "invalid_status",
    "missing_steps",
    "invalid_granted_for",
    "invalid_grant_mode",
    "invalid_step",
    "invalid_response",
  ],
};
/** Reasons Prelude may add one day: stored and flagged, never counted toward a burst. */
const UNKNOWN_REASONS = ["dns_lookup_failed", "hook_disabled"] as const;
/** Event types on the same webhook URL that are not hook failures: stored and flagged. */
const UNKNOWN_TYPES = ["user.passkey.added", "user.created"] as const;
const HOOKS: readonly Hook[] = ["migration", "step-up"];

/** One element of a batch's `events`, and what hookwatch must do with it. */
export interface SentEvent {
  /** `JSON.stringify` of the element: what hookwatch keeps as `raw`. */
  readonly raw: string;
  readonly verdict: "store" | "quarantine";
  /** The key docs/how-it-works.md documents (`dispatch_id`, else `event_id:<id>`); absent for content-hash keys. */
  readonly key?: string;
  readonly type?: string;
  readonly reason?: string;
  readonly occurredAt?: string;
  /** A valid transport failure of a hook, at `t` (epoch ms): what burst detection counts. */
  readonly failure?: { readonly hook: Hook; readonly t: number };
  /** Why the event is invalid, to read a counterexample. */
  readonly defect?: string;
}

/**
 * How a POST must end: `signed` is stored event by event (invalid ones quarantined); `forged` (a stranger's
 * key under the app's key id), `cross-app` (signed with the other app's key) and `unknown-app` are rejected
 * by the processor; `not-a-batch` is quarantined whole; `unsigned` and `not-json` are refused by the
 * gateway with a 4xx.
 */
export type PostKind =
  | "signed"
  | "forged"
  | "cross-app"
  | "unknown-app"
  | "unsigned"
  | "not-a-batch"
  | "not-json";
export const POST_KINDS: readonly PostKind[] = [
  "signed",
  "forged",
  "cross-app",
  "unknown-app",
  "unsigned",
  "not-a-batch",
  "not-json",
];

export interface PlannedPost {
  readonly label: string;
  readonly phase: "backlog" | "live";
  readonly kind: PostKind;
  /** The app the body claims. */
  readonly appId: string;
  readonly body: string;
  readonly events: readonly SentEvent[];
  /** The label of the post whose body this one sends again, as Prelude redelivers. */
  readonly repeats?: string;
}

/** What the endpoint answered, after the sender's own retries of a 5xx. */
export interface Delivery {
  readonly status: number;
  readonly requestId?: string;
  readonly tries: number;
  readonly answer: string;
}
export interface DeliveredPost extends PlannedPost {
  readonly delivery: Delivery;
}

/**
 * A planned set of transport failures in one group's timeline. Only `cluster`s reach the threshold;
 * the others are decoys that must never page: a `trickle` below the threshold, a `padded-trickle` made to
 * look like a burst with invalid and unknown-reason events, a `repeated-trickle` whose events are
 * delivered several times, a `forged-burst` whose failures only ever arrive in forged or unknown-app posts.
 */
export type StructureKind = "cluster" | "trickle" | "padded-trickle" | "repeated-trickle" | "forged-burst";

export interface Structure {
  readonly id: string;
  readonly kind: StructureKind;
  readonly phase: "backlog" | "live";
  readonly group: Group;
  readonly firstMs: number;
  readonly lastMs: number;
  /** Distinct valid transport failures in signed posts: what counts toward a burst. */
  readonly counted: number;
}

/** The independent record of a run: what was sent, what the endpoint answered, which bursts exist. */
export interface SoakRecord {
  readonly rules: WorkloadRules;
  readonly appIds: readonly string[];
  readonly posts: readonly DeliveredPost[];
  readonly structures: readonly Structure[];
}

export interface WorkloadOptions {
  readonly seed: string | number;
  /** Two apps, both configured in the pipeline. */
  readonly appIds: readonly [string, string];
  readonly rules: WorkloadRules;
  /** "Now" when the run starts: backlog structures lie between two weeks and two hours before it. */
  readonly startMs: number;
}

export interface Workload {
  readonly groups: readonly Group[];
  readonly structures: readonly Structure[];
  /** A backlog of about `count` posts: delayed clusters, decoys and noise, hours to days old, shuffled. */
  backlog(count: number): PlannedPost[];
  /** The earliest time a live cluster of `group` may start and still be a burst of its own. */
  nextLiveStart(group: Group): number;
  /** A live cluster ending at `nowMs`, in a few posts; undefined if too close to the group's last one. */
  liveCluster(group: Group, nowMs: number): { posts: PlannedPost[]; cluster: Structure } | undefined;
  /** Traffic while live bursts run: noise, old trickles, redeliveries of backlog posts, forgeries. */
  background(count: number, nowMs: number): PlannedPost[];
  /**
   * Large signed batches, as Prelude sends after a long outage: hundreds to a few thousand events of
   * noise each (no transport failure, so the timelines stay as planned), each body under SQS's 1 MiB.
   */
  largePosts(count: number, phase: PlannedPost["phase"], nowMs: number): PlannedPost[];
  /**
   * Chooses up to `count` of `candidates` (signed posts) to be poison: each carries a valid event no other
   * post carries, and that event is never sent again, so only the redrive of the poison's dead letter can
   * store it. Copies of a poison post (same body) are poison too.
   */
  poison(candidates: readonly PlannedPost[], count: number): PlannedPost[];
}

/** How many events a large post carries, and the most bytes its body may have (SQS holds 1 MiB with attributes). */
export const LARGE_POST_EVENTS: readonly [number, number] = [200, 3_000];
const LARGE_POST_MAX_BYTES = 900_000;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Prelude retries for two weeks: the backlog spans nearly that. */
const BACKLOG_OLDEST_MS = 13 * DAY_MS;
const BACKLOG_NEWEST_MS = 2 * HOUR_MS;

/** A reproducible workload; every draw comes from `seed`, the times from `startMs` and the live clock. */
export function createWorkload(options: WorkloadOptions): Workload {
  const random = createSeededRandom(options.seed);
  const groups: Group[] = options.appIds.flatMap((appId) => HOOKS.map((hook) => ({ appId, hook })));
  const structures: Structure[] = [];
  const timelines = new Map<string, { first: number; last: number }[]>();
  const sentPosts: PlannedPost[] = [];
  const storedEvents = new Map<string, SentEvent[]>();
  let sequence = 0;
  let postCount = 0;
  const reasonCycle = new Map<Hook, number>();

  const rule = (hook: Hook) => options.rules[hook];
  /** Two structures closer than this could be one burst (a window, then a quiet period). */
  const separationMs = (hook: Hook) => (rule(hook).windowSeconds + rule(hook).quietSeconds + 1) * 1000;
  const nextId = () => `${(++sequence).toString(36).padStart(5, "0")}${random.id(8)}`;

  function reserve(group: Group, first: number, last: number): boolean {
    const taken = timelines.get(groupName(group)) ?? [];
    const gap = separationMs(group.hook);
    if (taken.some((range) => first <= range.last + gap && last >= range.first - gap)) return false;
    timelines.set(groupName(group), [...taken, { first, last }]);
    return true;
  }

  function placeInPast(group: Group, spanMs: number): number {
    for (let attempt = 0; attempt < 500; attempt++) {
      const first =
        options.startMs - BACKLOG_OLDEST_MS + random.int(0, BACKLOG_OLDEST_MS - BACKLOG_NEWEST_MS - spanMs);
      if (reserve(group, first, first + spanMs)) return first;
    }
    throw new Error(`no room left in the timeline of ${groupName(group)}`);
  }

  /** `occurred_at` in one of the RFC 3339 forms Prelude may use; `ms` is what the text means. */
  function timeText(ms: number): { text: string; ms: number } {
    const form = random.int(0, 3);
    if (form === 2) {
      const whole = Math.floor(ms / 1000) * 1000;
      return { text: new Date(whole).toISOString().replace(".000Z", "Z"), ms: whole };
    }
    if (form === 3) {
      const offsetMinutes = random.pick([60, 120, -300, 330]);
      const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23);
      const sign = offsetMinutes < 0 ? "-" : "+";
      const hours = String(Math.floor(Math.abs(offsetMinutes) / 60)).padStart(2, "0");
      const minutes = String(Math.abs(offsetMinutes) % 60).padStart(2, "0");
      return { text: `${local}${sign}${hours}:${minutes}`, ms };
    }
    return { text: new Date(ms).toISOString(), ms };
  }

  /**
   * A hook failure in either envelope shape, keyed by dispatch_id, by envelope id or by content; a
   * content-keyed event always carries a unique correlation id so two of them are never the same event.
   */
  function hookEvent(hook: Hook, reason: string, ms: number, time = timeText(ms)): SentEvent {
    const id = nextId();
    const keyBy = random.next();
    const byDispatch = keyBy < 0.6;
    const byEnvelope = !byDispatch && keyBy < 0.85;
    const fields: Record<string, unknown> = {};
    if (hook === "step-up") {
      fields.user_id = `usr_${random.id(24)}`;
      fields.session_id = `ses_${random.id(24)}`;
      fields.scope = random.pick(["payments.transfer", "account.email.change", "transfer_funds"]);
    }
    fields.reason = reason;
    fields.occurred_at = time.text;
    if (byDispatch) fields.dispatch_id = `dsp_${id}`;
    if (!byDispatch && !byEnvelope) fields.correlation_id = `corr_${id}`;
    else if (random.chance(0.7)) fields.correlation_id = `corr_${random.id(8)}`;
    // Prelude may add fields: stored and flagged, never a reason to refuse the event.
    if (random.chance(0.05)) fields.attempt = random.int(1, 5);
    const type = EVENT_TYPE[hook];
    const envelopeId = `evt_${id}`;
    const element =
      random.chance(0.5) && (byEnvelope || random.chance(0.5))
        ? { ...(byEnvelope ? { id: envelopeId } : {}), type, payload: fields, created_at: time.text }
        : { ...(byEnvelope ? { id: envelopeId } : {}), type, ...fields };
    const transport = (TRANSPORT_REASONS as readonly string[]).includes(reason);
    return {
      raw: JSON.stringify(element),
      verdict: "store",
      ...(byDispatch ? { key: `dsp_${id}` } : byEnvelope ? { key: `event_id:${envelopeId}` } : {}),
      type,
      reason,
      occurredAt: time.text,
      ...(transport ? { failure: { hook, t: time.ms } } : {}),
    };
  }

  function transportFailure(hook: Hook, ms: number): SentEvent {
    return hookEvent(hook, random.pick(TRANSPORT_REASONS), ms);
  }

  /** Response-level reasons in turn, so every documented reason of both hooks appears in every run. */
  function responseFailure(hook: Hook, ms: number): SentEvent {
    const reasons = RESPONSE_REASONS[hook];
    const turn = reasonCycle.get(hook) ?? 0;
    reasonCycle.set(hook, turn + 1);
    const reason = turn < reasons.length ? (reasons[turn] as string) : random.pick(reasons);
    return hookEvent(hook, reason, ms);
  }

  function unknownTypeEvent(ms: number): SentEvent {
    const id = nextId();
    const time = timeText(ms);
    const type = random.pick(UNKNOWN_TYPES);
    const element = {
      id: `evt_${id}`,
      type,
      payload: { user_id: `usr_${random.id(24)}`, occurred_at: time.text },
      created_at: time.text,
    };
    return { raw: JSON.stringify(element), verdict: "store", key: `event_id:evt_${id}`, type };
  }

  /** An event that breaks a documented rule; transport-looking with a time, to pad decoys. */
  function invalidEvent(hook: Hook, ms: number): SentEvent {
    const base = JSON.parse(transportFailure(hook, ms).raw) as Record<string, unknown>;
    const fields = (typeof base.payload === "object" ? base.payload : base) as Record<string, unknown>;
    const defects: [string, () => unknown][] = [
      ["occurred_at missing", () => delete fields.occurred_at],
      ["occurred_at is not a date-time", () => (fields.occurred_at = "yesterday at noon")],
      ["occurred_at is February 30", () => (fields.occurred_at = "2026-02-30T10:00:00Z")],
      ["reason is empty", () => (fields.reason = "")],
      ["dispatch_id is empty", () => (fields.dispatch_id = "")],
      ["type is missing", () => delete base.type],
    ];
    if (hook === "step-up") {
      defects.push(["user_id lacks usr_", () => (fields.user_id = "bob")]);
      defects.push(["session_id missing", () => delete fields.session_id]);
    }
    const [defect, apply] = random.pick(defects);
    apply();
    return { raw: JSON.stringify(base), verdict: "quarantine", defect };
  }

  /** Elements that are not events at all. */
  function malformedElement(): SentEvent {
    const [defect, element] = random.pick<[string, unknown]>([
      ["element is a number", 42],
      ["element is a string", "request_failed"],
      ["element is null", null],
      ["element is an array", [{ type: "migration.hook_failed" }]],
      ["payload is a string", { id: `evt_${nextId()}`, type: "migration.hook_failed", payload: "oops" }],
    ]);
    return { raw: JSON.stringify(element), verdict: "quarantine", defect };
  }

  function noiseEvent(nearMs: () => number): SentEvent {
    const roll = random.next();
    const hook = random.pick(HOOKS);
    if (roll < 0.55) return responseFailure(hook, nearMs());
    if (roll < 0.7) return hookEvent(hook, random.pick(UNKNOWN_REASONS), nearMs());
    if (roll < 0.82) return unknownTypeEvent(nearMs());
    if (roll < 0.94) return invalidEvent(hook, nearMs());
    return malformedElement();
  }

  const pastTime = () => options.startMs - random.int(BACKLOG_NEWEST_MS, BACKLOG_OLDEST_MS);

  function spreadTimes(first: number, last: number, count: number): number[] {
    const inner = Array.from({ length: Math.max(0, count - 2) }, () => random.int(first, last));
    return [first, ...inner, last].slice(0, Math.max(count, 1)).sort((a, b) => a - b);
  }

  function addStructure(
    kind: StructureKind,
    phase: Structure["phase"],
    group: Group,
    first: number,
    last: number,
    counted: number,
  ): Structure {
    const structure: Structure = {
      id: `${kind}-${structures.length + 1}`,
      kind,
      phase,
      group,
      firstMs: first,
      lastMs: last,
      counted,
    };
    structures.push(structure);
    return structure;
  }

  /** Members of a structure, the first and last on its bounds (a time form without milliseconds may round down). */
  function failuresBetween(hook: Hook, first: number, last: number, count: number): SentEvent[] {
    return spreadTimes(first, last, count).map((ms) => transportFailure(hook, ms));
  }

  function boundsOf(events: readonly SentEvent[]): { first: number; last: number } {
    const times = events.flatMap((event) => (event.failure ? [event.failure.t] : []));
    return { first: Math.min(...times), last: Math.max(...times) };
  }

  function post(
    phase: PlannedPost["phase"],
    kind: PostKind,
    appId: string,
    events: readonly SentEvent[],
  ): PlannedPost {
    postCount += 1;
    const label = `${phase}#${postCount}`;
    let body: string;
    if (kind === "not-json") body = `{"app_id": "${appId}", "events": [${events.map((e) => e.raw).join(",")}`;
    else if (kind === "not-a-batch")
      body = JSON.stringify({ app_id: appId, events: { items: events.map((e) => JSON.parse(e.raw)) } });
    else body = `{"app_id":${JSON.stringify(appId)},"events":[${events.map((e) => e.raw).join(",")}]}`;
    const planned: PlannedPost = { label, phase, kind, appId, body, events };
    sentPosts.push(planned);
    if (kind === "signed") {
      for (const event of events) {
        if (event.verdict === "store") storedEvents.set(appId, [...(storedEvents.get(appId) ?? []), event]);
      }
    }
    return planned;
  }

  function repeatOf(original: PlannedPost): PlannedPost {
    postCount += 1;
    const copy: PlannedPost = {
      ...original,
      label: `${original.phase}#${postCount}`,
      repeats: original.label,
    };
    return copy;
  }

  /** Splits events into signed posts of one app, with noise, duplicates and out-of-order elements. */
  function signedPosts(
    phase: PlannedPost["phase"],
    appId: string,
    events: readonly SentEvent[],
    nearMs: () => number,
    size: () => number,
  ): PlannedPost[] {
    const pool = random.shuffle(events);
    const posts: PlannedPost[] = [];
    while (pool.length > 0) {
      const chunk = pool.splice(0, size());
      const noise = Array.from({ length: random.int(0, 3) }, () => noiseEvent(nearMs));
      const elements = random.shuffle([...chunk, ...noise]);
      // The same event twice in one batch.
      if (random.chance(0.05) && elements.length > 0) elements.push(random.pick(elements));
      // The same event again in another batch.
      const earlier = storedEvents.get(appId) ?? [];
      if (random.chance(0.12) && earlier.length > 0) elements.push(random.pick(earlier));
      posts.push(post(phase, "signed", appId, elements));
    }
    return posts;
  }

  function specialPost(phase: PlannedPost["phase"], nearMs: () => number): PlannedPost {
    const roll = random.next();
    const appId = random.pick(options.appIds);
    const fresh = () =>
      Array.from({ length: random.int(1, 4) }, () =>
        hookEvent(random.pick(HOOKS), "request_failed", nearMs()),
      );
    if (roll < 0.25) return post(phase, "forged", appId, fresh());
    if (roll < 0.4) return post(phase, "cross-app", appId, fresh());
    if (roll < 0.55) return post(phase, "unknown-app", `app_stranger_${random.id(4)}`, fresh());
    if (roll < 0.75) return post(phase, "unsigned", appId, fresh());
    if (roll < 0.9) return post(phase, "not-a-batch", appId, fresh());
    return post(phase, "not-json", appId, fresh());
  }

  return {
    groups,
    structures,

    poison(candidates, count) {
      const carriers = new Map<string, Set<string>>();
      for (const planned of sentPosts) {
        if (planned.kind !== "signed") continue;
        for (const event of planned.events)
          carriers.set(event.raw, (carriers.get(event.raw) ?? new Set()).add(planned.body));
      }
      const ownsAnEvent = (planned: PlannedPost) =>
        planned.kind === "signed" &&
        planned.events.some((event) => event.verdict === "store" && carriers.get(event.raw)?.size === 1);
      const chosen = random.fork("poison").shuffle(candidates.filter(ownsAnEvent)).slice(0, count);
      const withdrawn = new Set(chosen.flatMap((planned) => planned.events.map((event) => event.raw)));
      for (const [appId, events] of storedEvents)
        storedEvents.set(
          appId,
          events.filter((event) => !withdrawn.has(event.raw)),
        );
      return chosen;
    },

    backlog(count) {
      const perGroup = (every: number) => Math.max(1, Math.round(count / every));
      const byApp = new Map<string, SentEvent[]>(options.appIds.map((appId) => [appId, []]));
      const special: PlannedPost[] = [];
      const windowMs = (hook: Hook) => rule(hook).windowSeconds * 1000;

      for (const group of groups) {
        const { threshold } = rule(group.hook);
        const events = byApp.get(group.appId) as SentEvent[];
        const spanFor = () => random.int(0, Math.floor(windowMs(group.hook) * 0.8));
        for (let i = 0; i < perGroup(160); i++) {
          const span = spanFor();
          const first = placeInPast(group, span);
          const members = failuresBetween(
            group.hook,
            first,
            first + span,
            random.int(threshold, threshold + 4),
          );
          const bounds = boundsOf(members);
          addStructure("cluster", "backlog", group, bounds.first, bounds.last, members.length);
          events.push(...members);
        }
        for (let i = 0; i < perGroup(160); i++) {
          const span = spanFor();
          const first = placeInPast(group, span);
          const members = failuresBetween(group.hook, first, first + span, random.int(1, threshold - 1));
          const bounds = boundsOf(members);
          addStructure("trickle", "backlog", group, bounds.first, bounds.last, members.length);
          events.push(...members);
        }
        for (let i = 0; i < perGroup(700); i++) {
          const span = spanFor();
          const first = placeInPast(group, span);
          const members = failuresBetween(group.hook, first, first + span, threshold - 1);
          const bounds = boundsOf(members);
          addStructure("padded-trickle", "backlog", group, bounds.first, bounds.last, members.length);
          const inWindow = () => random.int(bounds.first, bounds.last);
          const padding = [
            ...Array.from({ length: random.int(1, 3) }, () => invalidEvent(group.hook, inWindow())),
            ...Array.from({ length: random.int(1, 3) }, () =>
              hookEvent(group.hook, random.pick(UNKNOWN_REASONS), inWindow()),
            ),
            ...Array.from({ length: threshold + 1 }, () => responseFailure(group.hook, inWindow())),
          ];
          events.push(...members, ...padding);
        }
        for (let i = 0; i < perGroup(700); i++) {
          const span = spanFor();
          const first = placeInPast(group, span);
          const members = failuresBetween(group.hook, first, first + span, threshold - 1);
          const bounds = boundsOf(members);
          addStructure("repeated-trickle", "backlog", group, bounds.first, bounds.last, members.length);
          for (const member of members)
            events.push(...Array.from({ length: random.int(2, 4) }, () => member));
        }
        for (let i = 0; i < perGroup(700); i++) {
          const span = spanFor();
          const first = placeInPast(group, span);
          const members = failuresBetween(group.hook, first, first + span, threshold + 2);
          const bounds = boundsOf(members);
          addStructure("forged-burst", "backlog", group, bounds.first, bounds.last, 0);
          const kind = random.pick(["forged", "cross-app", "unknown-app"] as const);
          const appId = kind === "unknown-app" ? `app_stranger_${random.id(4)}` : group.appId;
          special.push(post("backlog", kind, appId, random.shuffle(members)));
        }
      }

      const posts: PlannedPost[] = [...special];
      for (const [appId, events] of byApp) {
        posts.push(...signedPosts("backlog", appId, events, pastTime, () => random.int(1, 6)));
      }
      const target = Math.max(count, posts.length);
      const specials = Math.round(target * 0.05);
      const repeats = Math.round(target * 0.05);
      for (let i = 0; i < specials; i++) posts.push(specialPost("backlog", pastTime));
      while (posts.length < target - repeats) {
        const appId = random.pick(options.appIds);
        const noise = Array.from({ length: random.int(1, 8) }, () => noiseEvent(pastTime));
        posts.push(post("backlog", "signed", appId, noise));
      }
      const originals = [...posts];
      for (let i = 0; i < repeats; i++) posts.push(repeatOf(random.pick(originals)));
      return random.shuffle(posts);
    },

    nextLiveStart(group) {
      const taken = timelines.get(groupName(group)) ?? [];
      const last = Math.max(Number.NEGATIVE_INFINITY, ...taken.map((range) => range.last));
      return last + separationMs(group.hook) + maxLiveSpanMs(group.hook) + 1;
    },

    liveCluster(group, nowMs) {
      const { threshold } = rule(group.hook);
      const span = random.int(0, maxLiveSpanMs(group.hook));
      // Times to the millisecond: the live cluster ends exactly now.
      const times = spreadTimes(nowMs - span, nowMs, random.int(threshold, threshold + 3));
      const members = times.map((ms) =>
        hookEvent(group.hook, random.pick(TRANSPORT_REASONS), ms, { text: new Date(ms).toISOString(), ms }),
      );
      const bounds = boundsOf(members);
      if (!reserve(group, bounds.first, bounds.last)) return undefined;
      const cluster = addStructure("cluster", "live", group, bounds.first, bounds.last, members.length);
      const near = () => nowMs - random.int(0, 5_000);
      const posts = signedPosts("live", group.appId, members, near, () =>
        random.int(1, Math.max(1, Math.ceil(members.length / 2))),
      );
      if (random.chance(0.2)) posts.push(repeatOf(random.pick(posts)));
      return { posts, cluster };
    },

    background(count, nowMs) {
      const near = () => nowMs - random.int(0, 30_000);
      const posts: PlannedPost[] = [];
      const backlogPosts = sentPosts.filter((planned) => planned.phase === "backlog");
      for (let i = 0; i < count; i++) {
        const roll = random.next();
        if (roll < 0.15 && backlogPosts.length > 0) {
          posts.push(repeatOf(random.pick(backlogPosts)));
        } else if (roll < 0.22) {
          posts.push(specialPost("live", near));
        } else if (roll < 0.3) {
          const group = random.pick(groups);
          const span = random.int(0, Math.floor(rule(group.hook).windowSeconds * 800));
          const first = placeInPast(group, span);
          const members = failuresBetween(
            group.hook,
            first,
            first + span,
            random.int(1, rule(group.hook).threshold - 1),
          );
          const bounds = boundsOf(members);
          addStructure("trickle", "live", group, bounds.first, bounds.last, members.length);
          posts.push(post("live", "signed", group.appId, members));
        } else {
          const appId = random.pick(options.appIds);
          const noise = Array.from({ length: random.int(1, 8) }, () => noiseEvent(near));
          posts.push(post("live", "signed", appId, noise));
        }
      }
      return posts;
    },

    largePosts(count, phase, nowMs) {
      const near = phase === "live" ? () => nowMs - random.int(0, 30_000) : pastTime;
      return Array.from({ length: count }, () => {
        const appId = random.pick(options.appIds);
        const target = random.int(LARGE_POST_EVENTS[0], LARGE_POST_EVENTS[1]);
        const events: SentEvent[] = [];
        let bytes = 0;
        while (events.length < target) {
          const event = noiseEvent(near);
          if (bytes + event.raw.length + 1 > LARGE_POST_MAX_BYTES) break;
          events.push(event);
          bytes += event.raw.length + 1;
        }
        return post(phase, "signed", appId, events);
      });
    },
  };

  function maxLiveSpanMs(hook: Hook): number {
    return Math.min(3_000, Math.floor(rule(hook).windowSeconds * 600));
  }
}
