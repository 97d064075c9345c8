import { AsyncLocalStorage } from "node:async_hooks";
import type { SQSRecord } from "aws-lambda";
import { DEFAULT_CLAIM_LEASE_MS } from "../lambdas/bursts/burst-publishing.js";
import { HEAD_SK } from "../lambdas/bursts/burst-record.js";
import { WEBHOOK_ATTRIBUTES } from "../lambdas/webhook/webhook-message.js";
import type { SqsHandler } from "../local/sqs-poller.js";
import { attemptKey, FAULT_MARKER } from "./fault-proxy.js";
import type { SeededRandom } from "./seeded-random.js";

/** Thrown where the simulated crash stops the invocation; nothing after it reaches AWS. */
export class ProcessorCrashError extends Error {
  override name = "ProcessorCrashError";
}

/** Thrown where Lambda's timeout stops the invocation; as with a crash, nothing after it reaches AWS. */
export class ProcessorTimeoutError extends Error {
  override name = "ProcessorTimeoutError";
}

/** One delivery of one message to the processor, as the soak saw it. */
export interface Attempt {
  readonly requestId: string;
  readonly messageId: string;
  readonly receiveCount: number;
  readonly invocation: number;
  readonly outcome: "ok" | "failed" | "crashed" | "timed out";
  /** Why a failed or crashed attempt failed, when an injected fault explains it. */
  readonly explanation?: string;
  /** What the invocation saw that no injected fault explains (errors of SDK calls, the handler's own). */
  readonly unexplained?: string;
  readonly durationMs: number;
  /** SDK retries and slow calls during the invocation: why an attempt may outlast the visibility timeout. */
  readonly retries: number;
  readonly slowCalls: number;
}

export interface SdkCallStats {
  readonly calls: number;
  /** Calls that ended in an injected fault after the SDK's own retries: the faults hookwatch saw. */
  readonly injectedErrors: number;
  /** Extra attempts the SDK made on its own (throttles, resets, 500s it absorbed). */
  readonly retries: number;
}

/** The handlers' clients the soak watches, each with its own socket pool. */
export type WatchedClient = "dynamodb" | "sns";

/** One try of one SDK call (the SDK retries a call in several), timed from the client's side. */
export interface ClientAttempt {
  readonly client: WatchedClient;
  /** The key the fault proxy knows it by (`attemptKey` of its headers). */
  readonly key?: string;
  /** From when the SDK handed it to the HTTP handler (whose timers start then) until it ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Attempts in flight on the client when it started, itself included, and how many were its invocation's. */
  readonly clientInFlight: number;
  readonly ownInFlight: number;
}

export interface ProcessorFaultStats {
  readonly invocations: number;
  readonly crashes: number;
  /** Invocations stopped by the function's timeout, as Lambda stops them. */
  readonly timeouts: number;
  readonly poisonCrashes: number;
  readonly processor: SdkCallStats;
  readonly recovery: SdkCallStats;
  /**
   * The most DynamoDB attempts in flight at once, in one invocation and in the whole process: the soak's
   * invocations share one client and its socket pool, where each Lambda environment has its own.
   */
  readonly dynamodbInFlight: { readonly perInvocation: number; readonly process: number };
}

/** A burst item's claim as the table holds it now, read past the fault proxy. */
export interface ClaimOnTable {
  /** `<kind>_claim_until`, as written (a number of ms), if the item holds a claim. */
  readonly until?: string;
  /** Whether its work is done (`paged_at` or `resolved_at`). */
  readonly done: boolean;
}

export interface ProcessorFaultsOptions {
  readonly random: SeededRandom;
  /** Probability that an invocation dies after a random number of SDK calls. */
  readonly crashRate: number;
  /**
   * Reads a claim back from the table (`key` as `claimWrites` names it), so a refusal whose holder the soak's
   * own bookkeeping cannot name is named by the take that wrote the claim the table holds.
   */
  readonly readClaim?: (key: string) => Promise<ClaimOnTable>;
  /**
   * Which injected fault, if any, explains a record's own error that is no SDK fault (for example a
   * signature check that found a JWKS down during an injected outage); undefined when none does.
   */
  readonly explainError?: (
    error: unknown,
    during: { readonly from: number; readonly to: number; readonly attempt?: ClientAttempt },
  ) => string | undefined;
}

/** The AWS SDK v3 client surface this module needs: a middleware stack. */
interface MiddlewareClient {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: "initialize" | "deserialize"; name: string; priority?: "high" },
    ): void;
  };
}

interface Invocation {
  readonly number: number;
  readonly crashAfter?: number;
  calls: number;
  crashed: boolean;
  timedOut: boolean;
  readonly startedAt: number;
  /** When the invocation's last SDK call was answered: a timed-out invocation that was still working. */
  lastAnswerAt: number;
  injectedErrors: number;
  retries: number;
  slowCalls: number;
  readonly otherErrors: string[];
  /** Publish claims this invocation found held by another, as "<holder>": a retry by design. */
  readonly claimWaits: string[];
  /** The error each failed record ended with, by message id. */
  readonly recordErrors: Map<string, unknown>;
  /** Its SDK attempts in flight, by client. */
  readonly inFlight: Record<WatchedClient, number>;
  crash?: (error: ProcessorCrashError) => void;
}

/** An invocation before its first call. */
function newInvocation(
  number: number,
  startedAt: number,
  how: { readonly crashed: boolean; readonly crashAfter?: number },
): Invocation {
  return {
    number,
    ...how,
    calls: 0,
    timedOut: false,
    startedAt,
    lastAnswerAt: startedAt,
    injectedErrors: 0,
    retries: 0,
    slowCalls: 0,
    otherErrors: [],
    claimWaits: [],
    recordErrors: new Map(),
    inFlight: { dynamodb: 0, sns: 0 },
  };
}

type CallObserver = (next: (args: unknown) => Promise<unknown>, args: unknown) => Promise<unknown>;
type AttemptObserver = (
  client: WatchedClient,
  next: (args: unknown) => Promise<unknown>,
  args: unknown,
) => Promise<unknown>;
type FailureObserver = (record: SQSRecord, error: unknown) => void;
/** The instance whose handler ran last; the hooks are added once per process, so only one observes. */
let activeObserver: CallObserver | undefined;
let activeAttemptObserver: AttemptObserver | undefined;
let activeFailureObserver: FailureObserver | undefined;
let installed: Promise<void> | undefined;

/**
 * Adds the crash point to the handlers' own SDK clients (module-scope singletons, shared with recovery),
 * and a timer to each of their attempts (the deserialize step runs once per try, inside the SDK's retry
 * loop, with the retry headers set), and listens to the processor's batch processor for the error each
 * failed record ended with.
 */
function installCrashPoint(): Promise<void> {
  installed ??= Promise.all([
    import("../lambdas/runtime/aws-clients.js"),
    import("@aws-lambda-powertools/batch"),
  ]).then(([{ dynamodb, sns }, { BatchProcessor }]) => {
    const clients = { dynamodb, sns } as unknown as Record<WatchedClient, MiddlewareClient>;
    for (const [name, client] of Object.entries(clients) as [WatchedClient, MiddlewareClient][]) {
      client.middlewareStack.add(
        (next) => (args) => (activeObserver === undefined ? next(args) : activeObserver(next, args)),
        { step: "initialize", name: "soakProcessorCrashPoint" },
      );
      client.middlewareStack.add(
        (next) => (args) =>
          activeAttemptObserver === undefined ? next(args) : activeAttemptObserver(name, next, args),
        // Outside the deserializer, so a service's own error is seen as well as the transport's.
        { step: "deserialize", name: "soakAttemptTiming", priority: "high" },
      );
    }
    const prototype = BatchProcessor.prototype as unknown as {
      failureHandler(this: unknown, record: SQSRecord, error: Error): unknown;
    };
    const failureHandler = prototype.failureHandler;
    prototype.failureHandler = function (record, error) {
      activeFailureObserver?.(record, error);
      return failureHandler.call(this, record, error);
    };
  });
  return installed;
}

/** A burst's page or resolve claim (the `<kind>_claim_until` attribute) as the SDK call names it. */
export interface ClaimWrite {
  readonly key: string;
  readonly action: "take" | "release" | "complete";
  /** What a take writes into the claim (its lease's end, as the table holds it): the take's fingerprint. */
  readonly until?: string;
}

type UpdateInput = {
  Key?: Record<string, { S?: string }>;
  UpdateExpression?: string;
  ExpressionAttributeValues?: Record<string, { N?: string }>;
};

/** Which publish claims a DynamoDB call takes, gives back or makes moot (paged_at, resolved_at). */
export function claimWrites(input: unknown): ClaimWrite[] {
  const updates: UpdateInput[] = [];
  const { TransactItems, ...single } = (input ?? {}) as UpdateInput & {
    TransactItems?: { Update?: UpdateInput }[];
  };
  updates.push(single);
  for (const item of TransactItems ?? []) if (item.Update) updates.push(item.Update);
  return updates.flatMap((update) => {
    const expression = update.UpdateExpression ?? "";
    const burst = `${update.Key?.pk?.S ?? ""} ${update.Key?.sk?.S ?? ""}`;
    const writes: ClaimWrite[] = [];
    for (const kind of ["page", "resolve"] as const) {
      const key = `${burst} ${kind}`;
      const take = new RegExp(`SET ${kind}_claim_until = (:\\w+)`).exec(expression);
      if (take) {
        const until = update.ExpressionAttributeValues?.[take[1] ?? ""]?.N;
        writes.push({ key, action: "take", ...(until === undefined ? {} : { until }) });
      }
      if (new RegExp(`REMOVE ${kind}_claim_until\\b`).test(expression))
        writes.push({ key, action: "release" });
    }
    if (/\bpaged_at = /.test(expression)) writes.push({ key: `${burst} page`, action: "complete" });
    if (/\bresolved_at = /.test(expression)) writes.push({ key: `${burst} resolve`, action: "complete" });
    return writes;
  });
}

/** The burst groups whose head a DynamoDB call writes (`GROUP#<app>#<hook>` partitions, `HEAD` item). */
export function headWrites(input: unknown): string[] {
  const { TransactItems, ...single } = (input ?? {}) as UpdateInput & {
    TransactItems?: { Update?: UpdateInput }[];
  };
  return [single, ...(TransactItems ?? []).flatMap((item) => (item.Update ? [item.Update] : []))]
    .filter((update) => update.Key?.sk?.S === HEAD_SK && update.Key?.pk?.S?.startsWith("GROUP#"))
    .map((update) => update.Key?.pk?.S as string);
}

const SLOW_CALL_MS = 250;

/**
 * The processor dying mid-batch, as a Lambda process killed between two SDK calls: an invocation chosen
 * at `crashRate` stops after a random number of SDK calls. What it wrote so far stays written, nothing
 * after the crash point reaches AWS, and the invocation throws, so the poller leaves the whole batch for
 * redelivery. A batch holding a poison message dies before its first call, on every delivery. Also
 * records every attempt, to explain retries and dead letters by the faults that caused them.
 */
export function createProcessorFaults(options: ProcessorFaultsOptions) {
  const store = new AsyncLocalStorage<Invocation>();
  const attempts: Attempt[] = [];
  let enabled = true;
  let invocations = 0;
  let crashes = 0;
  let poisonCrashes = 0;
  let timeouts = 0;
  const sdk = {
    processor: { calls: 0, injectedErrors: 0, retries: 0 },
    recovery: { calls: 0, injectedErrors: 0, retries: 0 },
  };

  // Claims taken and not yet given back or completed: who holds them, since when, whether the holder crashed.
  const liveClaims = new Map<string, { holder: string; takenAt: number; note: string }>();
  // Takes sent and not yet answered: the table may hold them before their holder learns it did.
  const pendingTakes = new Map<string, Map<number, string>>();
  // Every take sent, by claim and by the lease end it writes (its fingerprint on the table), and by whom.
  const takesByUntil = new Map<string, Map<string, string>>();
  // The last time each claim's work was done (paged_at or resolved_at written), and by whom.
  const completed = new Map<string, { by: string; at: number }>();
  let nextTake = 0;
  const holderOf = (invocation: Invocation | undefined) =>
    invocation === undefined ? "the recovery schedule" : `invocation ${invocation.number}`;

  /** Registers the takes of a call about to be sent; returns how to forget them once it is answered. */
  function sendingTakes(input: unknown, invocation: Invocation | undefined): () => void {
    const takes = claimWrites(input).filter((write) => write.action === "take");
    for (const take of takes) {
      if (take.until === undefined) continue;
      const byUntil = takesByUntil.get(take.key) ?? new Map<string, string>();
      byUntil.set(take.until, holderOf(invocation));
      takesByUntil.set(take.key, byUntil);
    }
    const keys = takes.map((write) => write.key);
    const id = nextTake++;
    for (const key of keys) {
      const pending = pendingTakes.get(key) ?? new Map<number, string>();
      pending.set(id, holderOf(invocation));
      pendingTakes.set(key, pending);
    }
    return () => {
      for (const key of keys) pendingTakes.get(key)?.delete(id);
    };
  }

  /** Who else may hold a claim this call found taken: a live claim within its lease, or a take in flight. */
  function holderOfRefused(key: string, self: string): string | undefined {
    const held = liveClaims.get(key);
    if (held && Date.now() - held.takenAt < DEFAULT_CLAIM_LEASE_MS) return `${held.holder}${held.note}`;
    const inFlight = [...(pendingTakes.get(key)?.values() ?? [])].find((holder) => holder !== self);
    return inFlight === undefined ? undefined : `${inFlight}, whose take was still unanswered`;
  }

  // Every write of a burst group's head (an opening or a close moves its version), by group partition.
  const headMoves = new Map<string, { by: string; at: number }[]>();

  function trackHeadMoves(input: unknown, invocation: Invocation | undefined): void {
    for (const partition of headWrites(input)) {
      headMoves.set(partition, [
        ...(headMoves.get(partition) ?? []),
        { by: holderOf(invocation), at: Date.now() },
      ]);
    }
  }

  /**
   * A burst's opening refused, read again and refused again until the processor asked for the message
   * again: hookwatch's design when other invocations keep moving the group's head, and explained only if
   * another did write that head during this invocation.
   */
  function explainGroupMoved(error: unknown, invocation: Invocation): string | undefined {
    const { name, message = "" } = (error ?? {}) as { name?: string; message?: string };
    const moved = /^the (\S+) bursts of app (\S+) changed \d+ times while the window/.exec(message);
    if (name !== "RetryLaterError" || moved === null) return undefined;
    const self = holderOf(invocation);
    const movers = (headMoves.get(`GROUP#${moved[2]}#${moved[1]}`) ?? [])
      .filter((move) => move.by !== self && move.at >= invocation.startedAt)
      .map((move) => move.by);
    return movers.length === 0
      ? undefined
      : `a burst's opening was refused while ${[...new Set(movers)].join(", ")} moved its group's head`;
  }

  /**
   * A window after a burst whose resolve fixed its end, retried until that burst's close lands: hookwatch's
   * design, explained only if a resolve claim of that burst was taken and its close had not landed before
   * this invocation began (an invocation that began after it reads the burst closed).
   */
  function explainBeingClosed(error: unknown, invocation: Invocation): string | undefined {
    const { name, message = "" } = (error ?? {}) as { name?: string; message?: string };
    const closing = /^the burst hookwatch:([^:\s]+):([^:\s]+):(\S+) ended at \S+ and is being closed/.exec(
      message,
    );
    if (name !== "RetryLaterError" || closing === null) return undefined;
    const key = `GROUP#${closing[1]}#${closing[2]} BURST#${closing[3]} resolve`;
    const takers = [...new Set(takesByUntil.get(key)?.values() ?? [])];
    const closed = completed.get(key);
    if (takers.length === 0 || (closed !== undefined && closed.at <= invocation.startedAt)) return undefined;
    const when =
      closed === undefined
        ? "not closed yet"
        : `closed by ${closed.by} ${closed.at - invocation.startedAt} ms after this invocation began`;
    return `a window waited for the close of the burst before it, whose resolve ${takers.join(", ")} claimed (${when})`;
  }

  /**
   * Who holds a claim the table refused when the soak's own bookkeeping cannot name them: the claim is read
   * back, and the take that wrote its lease end is the holder (recorded, so later refusals name it too).
   * Otherwise what the table showed, for the counterexample.
   */
  async function readBackHolder(key: string): Promise<{ holder: string } | { unknown: string }> {
    if (options.readClaim === undefined) return { unknown: "holder unknown" };
    const onTable = await options.readClaim(key).catch(() => undefined);
    if (onTable === undefined) return { unknown: "holder unknown (its claim could not be read back)" };
    const done = onTable.done ? ", its work done" : "";
    if (onTable.until === undefined)
      return { unknown: `holder unknown (the table holds no claim now${done})` };
    const until = Number(onTable.until);
    const holder = takesByUntil.get(key)?.get(onTable.until);
    if (holder === undefined) {
      return {
        unknown: `holder unknown (the table's claim, until ${new Date(until).toISOString()}, was written by no take the soak saw${done})`,
      };
    }
    if (until <= Date.now())
      return { unknown: `holder unknown (${holder}'s claim on the table ran out before the refusal${done})` };
    liveClaims.set(key, {
      holder,
      takenAt: until - DEFAULT_CLAIM_LEASE_MS,
      note: ", found by reading the claim back",
    });
    return { holder: `${holder}, whose claim the table holds (read back)` };
  }

  async function trackClaims(
    input: unknown,
    invocation: Invocation | undefined,
    failure: unknown,
    retries: number,
    sentAt: number,
  ): Promise<void> {
    if (failure === undefined) trackHeadMoves(input, invocation);
    for (const write of claimWrites(input)) {
      if (failure === undefined) {
        if (write.action === "take") {
          liveClaims.set(write.key, {
            holder: holderOf(invocation),
            takenAt: Date.now(),
            note: endedAs(invocation),
          });
        } else if (liveClaims.get(write.key)?.holder === holderOf(invocation)) {
          // Only the holder's own give-back: answers come back out of order, and a release answered after
          // another's take (which the table applied after the release) must not forget that take.
          liveClaims.delete(write.key);
        }
        if (write.action === "complete")
          completed.set(write.key, { by: holderOf(invocation), at: Date.now() });
      } else if (write.action === "take" && isInjectedFault(failure)) {
        // A reset after forwarding: the claim may be taken although its holder saw an error.
        liveClaims.set(write.key, {
          holder: holderOf(invocation),
          takenAt: Date.now(),
          note: ", whose answer an injected fault dropped",
        });
      } else if (write.action === "take" && isControlFlow(failure)) {
        const holder = holderOfRefused(write.key, holderOf(invocation));
        const done = completed.get(write.key);
        if (holder === undefined && retries > 0) {
          // The first try took the claim and its answer was lost (a reset after forwarding): the retry is
          // refused, and the claim stays taken for its lease (from the first try, sent at `sentAt`), by no
          // one who knows it. Whoever is refused it meanwhile waits for this holder.
          liveClaims.set(write.key, {
            holder: holderOf(invocation),
            takenAt: sentAt,
            note: ", whose answer an injected fault dropped (its own retry was refused)",
          });
        }
        if (invocation === undefined) continue;
        if (holder !== undefined) {
          invocation.claimWaits.push(holder);
        } else if (retries > 0) {
          invocation.claimWaits.push("itself, taken by a try whose answer an injected fault dropped");
        } else if (done !== undefined) {
          // Not a wait: the work was done, and a message retried for it is retried for nothing.
          invocation.otherErrors.push(
            `a publish claim (${write.key}) was refused because ${done.by} had already done its work, ${Date.now() - done.at} ms before`,
          );
        } else {
          const found = await readBackHolder(write.key);
          if ("holder" in found) invocation.claimWaits.push(found.holder);
          else invocation.otherErrors.push(`a publish claim (${write.key}) was refused, ${found.unknown}`);
        }
      }
    }
  }

  /** How a claim's holder ended when it ended without giving the claim back. */
  const endedAs = (invocation: Invocation | undefined) =>
    invocation?.timedOut ? ", which timed out" : invocation?.crashed ? ", which crashed" : "";

  function abandonClaims(invocation: Invocation): void {
    for (const claim of liveClaims.values()) {
      if (claim.holder === holderOf(invocation)) claim.note = endedAs(invocation);
    }
  }

  // Attempts in flight per client (the process's, shared by every invocation, as its socket pools are),
  // their peaks, and the timing of each attempt that ended in an error, found by that error.
  const attemptsInFlight: Record<WatchedClient, number> = { dynamodb: 0, sns: 0 };
  const peakDynamodb = { perInvocation: 0, process: 0 };
  const failedAttempts = new WeakMap<object, ClientAttempt>();

  async function observeAttempt(
    client: WatchedClient,
    next: (args: unknown) => Promise<unknown>,
    args: unknown,
  ): Promise<unknown> {
    const invocation = store.getStore();
    const headers = (args as { request?: { headers?: Record<string, string> } }).request?.headers ?? {};
    const key = attemptKey(headers);
    const startedAt = Date.now();
    const clientInFlight = ++attemptsInFlight[client];
    const ownInFlight = invocation === undefined ? 0 : ++invocation.inFlight[client];
    if (client === "dynamodb") {
      peakDynamodb.process = Math.max(peakDynamodb.process, clientInFlight);
      peakDynamodb.perInvocation = Math.max(peakDynamodb.perInvocation, ownInFlight);
    }
    try {
      return await next(args);
    } catch (error) {
      if (typeof error === "object" && error !== null) {
        failedAttempts.set(error, {
          client,
          ...(key === undefined ? {} : { key }),
          startedAt,
          endedAt: Date.now(),
          clientInFlight,
          ownInFlight,
        });
      }
      throw error;
    } finally {
      attemptsInFlight[client] -= 1;
      if (invocation !== undefined) invocation.inFlight[client] -= 1;
    }
  }

  // Poison is a property of the body, so every delivery of the message crashes the same way.
  const poison = new Set<string>();
  const isPoison = (record: SQSRecord) => poison.has(record.body);

  /** Every SDK call of the handlers' clients passes here while this instance is the active one. */
  async function observeCall(next: (args: unknown) => Promise<unknown>, args: unknown): Promise<unknown> {
    const invocation = store.getStore();
    const counters = invocation === undefined ? sdk.recovery : sdk.processor;
    if (invocation?.timedOut) throw new ProcessorTimeoutError("the invocation timed out before this call");
    if (invocation?.crashed) throw new ProcessorCrashError("the processor crashed before this call");
    const started = Date.now();
    counters.calls += 1;
    let output: { output?: { $metadata?: { attempts?: number } } } | undefined;
    let failure: unknown;
    const answered = sendingTakes((args as { input?: unknown }).input, invocation);
    try {
      output = (await next(args)) as typeof output;
    } catch (error) {
      failure = error ?? new Error("an SDK call failed without an error");
    }
    const metadata =
      failure === undefined
        ? output?.output?.$metadata
        : (failure as { $metadata?: { attempts?: number } }).$metadata;
    const retries = Math.max(0, (metadata?.attempts ?? 1) - 1);
    counters.retries += retries;
    await trackClaims((args as { input?: unknown }).input, invocation, failure, retries, started);
    answered();
    if (failure !== undefined && isInjectedFault(failure)) counters.injectedErrors += 1;
    if (invocation) {
      if (failure !== undefined && isInjectedFault(failure)) invocation.injectedErrors += 1;
      else if (failure !== undefined && !(failure instanceof ProcessorCrashError) && !isControlFlow(failure))
        invocation.otherErrors.push(describe(failure));
      // May throw: the crash point is reached when this call returns.
      afterCall(invocation, retries, Date.now() - started);
    }
    if (failure !== undefined) throw failure;
    return output;
  }

  function afterCall(invocation: Invocation, retries: number, durationMs: number): void {
    if (invocation.timedOut) throw new ProcessorTimeoutError("the invocation timed out during this call");
    invocation.calls += 1;
    invocation.lastAnswerAt = Date.now();
    invocation.retries += retries;
    if (durationMs >= SLOW_CALL_MS) invocation.slowCalls += 1;
    if (
      invocation.crashAfter !== undefined &&
      invocation.calls >= invocation.crashAfter &&
      !invocation.crashed
    ) {
      invocation.crashed = true;
      abandonClaims(invocation);
      invocation.crash?.(new ProcessorCrashError(`crashed after ${invocation.calls} SDK calls`));
      throw new ProcessorCrashError(`crashed after ${invocation.calls} SDK calls`);
    }
  }

  function wrap(handler: SqsHandler): SqsHandler {
    return async (event, context) => {
      await installCrashPoint();
      activeObserver = observeCall;
      activeAttemptObserver = observeAttempt;
      activeFailureObserver = (record, error) => store.getStore()?.recordErrors.set(record.messageId, error);
      invocations += 1;
      const records = event.Records;
      const started = Date.now();
      if (enabled && records.some(isPoison)) {
        // A poison message kills the function before it does anything, on every delivery, batchmates and all.
        crashes += 1;
        poisonCrashes += 1;
        const crashed = newInvocation(invocations, started, { crashed: true });
        recordAttempts(
          records,
          crashed,
          undefined,
          new ProcessorCrashError("poison"),
          Date.now() - started,
          true,
        );
        throw new ProcessorCrashError(
          "a poison message in the batch crashed the processor before its first call",
        );
      }
      // A crash point beyond the invocation's last call is no crash.
      const crashAfter =
        enabled && options.random.chance(options.crashRate)
          ? options.random.int(1, 4 * records.length + 4)
          : undefined;
      const invocation = newInvocation(invocations, started, {
        crashed: false,
        ...(crashAfter === undefined ? {} : { crashAfter }),
      });
      const crashed = new Promise<never>((_, reject) => {
        invocation.crash = reject;
      });
      crashed.catch(() => undefined);
      // Lambda stops the function at its timeout: its work in flight may land, nothing after it is sent.
      let timer: NodeJS.Timeout | undefined;
      const remainingMs = context.getRemainingTimeInMillis?.();
      const timedOut = new Promise<never>((_, reject) => {
        if (remainingMs === undefined) return;
        timer = setTimeout(() => {
          invocation.timedOut = true;
          abandonClaims(invocation);
          reject(new ProcessorTimeoutError(`timed out after ${Date.now() - started} ms`));
        }, remainingMs);
      });
      timedOut.catch(() => undefined);
      const running = store.run(invocation, () => handler(event, context));
      running.catch(() => undefined);

      let result: unknown;
      let thrown: unknown;
      try {
        result = await Promise.race([running, crashed, timedOut]);
      } catch (error) {
        thrown = error;
      } finally {
        clearTimeout(timer);
      }
      if (invocation.timedOut) timeouts += 1;
      else if (invocation.crashed) crashes += 1;
      recordAttempts(records, invocation, result, thrown, Date.now() - started, false);
      if (thrown !== undefined) throw thrown;
      return result;
    };
  }

  function recordAttempts(
    records: readonly SQSRecord[],
    invocation: Invocation,
    result: unknown,
    thrown: unknown,
    durationMs: number,
    poison: boolean,
  ): void {
    const failedIds = new Set(
      (
        (result as { batchItemFailures?: { itemIdentifier: string }[] } | undefined)?.batchItemFailures ?? []
      ).map((failure) => failure.itemIdentifier),
    );
    for (const record of records) {
      const failed = thrown !== undefined || failedIds.has(record.messageId);
      const outcome = invocation.timedOut
        ? "timed out"
        : invocation.crashed
          ? "crashed"
          : failed
            ? "failed"
            : "ok";
      let explanation: string | undefined;
      let unexplained: string | undefined;
      if (outcome === "timed out") {
        [explanation, unexplained] = explainTimeout(invocation, records.length, durationMs);
      } else if (outcome === "crashed") {
        explanation = poison ? "a poison message in the batch crashed the processor" : "crash injected";
      } else if (outcome === "failed") {
        [explanation, unexplained] = explainFailure(
          invocation,
          invocation.recordErrors.get(record.messageId),
          thrown,
          (error) =>
            options.explainError?.(error, {
              from: invocation.startedAt,
              to: invocation.startedAt + durationMs,
              ...attemptOf(error),
            }) ??
            explainGroupMoved(error, invocation) ??
            explainBeingClosed(error, invocation),
        );
      }
      attempts.push({
        requestId: record.messageAttributes[WEBHOOK_ATTRIBUTES.requestId]?.stringValue ?? "",
        messageId: record.messageId,
        receiveCount: Number(record.attributes.ApproximateReceiveCount),
        invocation: invocation.number,
        outcome,
        ...(explanation === undefined ? {} : { explanation }),
        ...(unexplained === undefined ? {} : { unexplained }),
        durationMs,
        retries: invocation.retries,
        slowCalls: invocation.slowCalls,
      });
    }
  }

  const attemptOf = (error: unknown): { attempt?: ClientAttempt } => {
    const attempt = typeof error === "object" && error !== null ? failedAttempts.get(error) : undefined;
    return attempt === undefined ? {} : { attempt };
  };

  return {
    wrap,
    /** Bodies that crash every invocation they are in, as a message that runs Lambda out of memory. */
    addPoison(bodies: Iterable<string>) {
      for (const body of bodies) poison.add(body);
    },
    /** Off: invocations run untouched (for the redrive, "after the fix"). */
    setEnabled(value: boolean) {
      enabled = value;
    },
    attempts: (): readonly Attempt[] => attempts,
    /** Every successful write of a burst group's head (a burst opened or closed), by whom and when answered. */
    headWrites: (): ReadonlyMap<string, readonly { by: string; at: number }[]> => headMoves,
    stats: (): ProcessorFaultStats => ({
      invocations,
      crashes,
      poisonCrashes,
      timeouts,
      processor: { ...sdk.processor },
      recovery: { ...sdk.recovery },
      dynamodbInFlight: { ...peakDynamodb },
    }),
  };
}

export type ProcessorFaults = ReturnType<typeof createProcessorFaults>;

/**
 * Why a record failed, from the error it ended with: an injected fault that the SDK's retries did not
 * absorb, or a retry while another invocation held the burst's publish claim (hookwatch's design).
 * Without the record's own error, whatever the invocation saw.
 */
function explainFailure(
  invocation: Invocation,
  error: unknown,
  thrown: unknown,
  explainError: ((error: unknown) => string | undefined) | undefined,
): [explanation: string | undefined, unexplained: string | undefined] {
  if (error !== undefined) {
    if (isInjectedFault(error))
      return [`an injected fault reached the handler: ${describe(error)}`, undefined];
    const injected = explainError?.(error);
    if (injected !== undefined) return [injected, undefined];
    if ((error as { name?: string }).name === "RetryLaterError" && invocation.claimWaits.length > 0) {
      return [`waited for a publish claim held by ${invocation.claimWaits.join(", ")}`, undefined];
    }
    return [undefined, tally([describe(error), ...invocation.otherErrors])];
  }
  if (invocation.injectedErrors > 0) {
    return [`${invocation.injectedErrors} injected fault(s) reached the handler`, undefined];
  }
  if (invocation.claimWaits.length > 0) {
    return [`waited for a publish claim held by ${invocation.claimWaits.join(", ")}`, undefined];
  }
  const seen = [
    ...invocation.otherErrors,
    ...(thrown === undefined ? [] : [`handler threw: ${describe(thrown)}`]),
  ];
  return [undefined, tally(seen) || "reported as failed with no error seen"];
}

/**
 * A slow invocation is the environment's (DynamoDB Local, the injected slow calls and retries), a stuck one
 * is hookwatch's: the timeout is explained only if the invocation was still getting answers from AWS at the
 * end, within the SDK's own request timeout of its deadline.
 */
export const WORKING_UNTIL_MS = 6_000;

function explainTimeout(
  invocation: Invocation,
  messages: number,
  durationMs: number,
): [explanation: string | undefined, unexplained: string | undefined] {
  const quietMs = durationMs - (invocation.lastAnswerAt - invocation.startedAt);
  const work = `${messages} message(s), ${invocation.calls} SDK calls (${invocation.slowCalls} slow, ${invocation.retries} SDK retries)`;
  return quietMs <= WORKING_UNTIL_MS
    ? [`timed out while working: ${work}, the last answered ${quietMs} ms before the timeout`, undefined]
    : [undefined, `timed out stuck: no SDK call answered in its last ${quietMs} ms (${work})`];
}

/** Errors as read in a counterexample: each different one once, with how often it came. */
function tally(errors: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const error of errors) counts.set(error, (counts.get(error) ?? 0) + 1);
  return [...counts].map(([error, count]) => (count > 1 ? `${error} (${count} times)` : error)).join("; ");
}

/** An error only the fault proxy produces: its marked answers, or a connection it reset. */
export function isInjectedFault(error: unknown): boolean {
  const { message = "", code } = (error ?? {}) as { message?: string; code?: string };
  return (
    message.includes(FAULT_MARKER) ||
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    /socket hang up/i.test(message)
  );
}

function describe(error: unknown): string {
  const { name = "Error", message = String(error) } = (error ?? {}) as { name?: string; message?: string };
  return `${name}: ${message.slice(0, 200)}`;
}

/** Condition failures are how hookwatch learns "already stored" or "someone else won": never a fault. */
function isControlFlow(error: unknown): boolean {
  const name = (error as { name?: string }).name;
  return name === "ConditionalCheckFailedException" || name === "TransactionCanceledException";
}
