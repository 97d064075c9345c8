import { randomUUID } from "node:crypto";
import { PublishCommand } from "@aws-sdk/client-sns";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { dynamodb, sns } from "../lambdas/runtime/aws-clients.js";
import { TRANSPORT_REASONS } from "../lambdas/webhook/event-validation.js";
import { createPreludeSigner } from "../local/prelude-signer.js";
import { batchBody, migrationFailure, sqsEvent, sqsRecord } from "../test/helpers/prelude-events.js";
import { meterCapacity, subtractCapacity } from "./capacity-meter.js";
import {
  type EventSpec,
  HANDLER_MODULES,
  type PhaseResult,
  type PhaseSpec,
  type WorkerRequest,
  type WorkerResponse,
} from "./handler-plan.js";
import { benchLambdaContext } from "./lambda-context.js";

// A child process per handler: the handler reads its configuration from this process's environment
// at import, logs to stdout (discarded by the parent) and its CPU time is its own.
const meter = meterCapacity(dynamodb);
// SNS has no local stand-in: a recording double at the SDK boundary, as in the tests.
const snsDouble = mockClient(sns);
snsDouble.on(PublishCommand).resolves({ MessageId: "bench" });

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** Receives of a message before the bench gives it up, like the queue's redrive policy. */
const MAX_RECEIVES = 3;

// Kept across requests: a later phase may repeat an event an earlier one sent.
const sent = new Map<string, Record<string, unknown>>();
let transportIndex = 0;
let loaded: Promise<Handler> | undefined;

function buildEvent(spec: EventSpec, nowMs: number): Record<string, unknown> {
  if (spec.kind === "repeat") {
    const original = sent.get(spec.id);
    if (!original) throw new Error(`the bench plan repeats event ${spec.id} before sending it`);
    return original;
  }
  const event = migrationFailure({
    dispatch_id: spec.id,
    reason:
      spec.kind === "response"
        ? "invalid_response"
        : TRANSPORT_REASONS[transportIndex++ % TRANSPORT_REASONS.length],
    occurred_at: new Date(nowMs + (spec.offsetSeconds ?? 0) * 1000).toISOString(),
  });
  sent.set(spec.id, event);
  return event;
}

async function runPhases(request: WorkerRequest): Promise<PhaseResult[]> {
  loaded ??= import(HANDLER_MODULES[request.implementation]).then(
    (module: { handler: Handler }) => module.handler,
  );
  const handler = await loaded;
  const signer = createPreludeSigner({ privateKeyPem: request.signingKeyPem });

  const results: PhaseResult[] = [];
  for (const phase of request.phases) results.push(await runPhase(phase));
  return results;

  async function runPhase(phase: PhaseSpec): Promise<PhaseResult> {
    const before = meter.totals();
    const pagesBefore = snsDouble.commandCalls(PublishCommand).length;
    let wallMs = 0;
    let cpuMs = 0;
    let failures = 0;
    let lost = 0;
    let firstFailure: string | undefined;
    let messages = 0;
    let events = 0;
    let largestInvocationBytes = 0;
    for (const invocation of phase.invocations) {
      // Built and signed outside the timed part: that is Prelude's work, not the handler's.
      const nowMs = Date.now();
      const records = invocation.map((specs) => {
        const body = batchBody(
          specs.map((spec) => buildEvent(spec, nowMs)),
          request.appId,
        );
        return sqsRecord({
          body,
          signature: signer.sign(body),
          signatureKeyId: signer.kid,
          requestId: `req-${randomUUID()}`,
          receivedAt: nowMs,
        });
      });
      largestInvocationBytes = Math.max(
        largestInvocationBytes,
        Buffer.byteLength(JSON.stringify(sqsEvent(records))),
      );
      messages += invocation.length;
      events += invocation.reduce((sum, specs) => sum + specs.length, 0);
      // As SQS would: failed messages come back, here at once, at most MAX_RECEIVES times in all.
      let pending = records;
      const maxReceives = phase.maxReceives ?? MAX_RECEIVES;
      for (let receive = 1; pending.length > 0 && receive <= maxReceives; receive++) {
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        const failed = await invoke(handler, pending);
        wallMs += performance.now() - started;
        const cpu = process.cpuUsage(cpuBefore);
        cpuMs += (cpu.user + cpu.system) / 1000;
        failures += failed.ids.size;
        firstFailure ??= failed.reason;
        pending = pending.filter((record) => failed.ids.has(record.messageId));
      }
      lost += pending.length;
    }
    return {
      name: phase.name,
      invocations: phase.invocations.length,
      messages,
      events,
      capacity: subtractCapacity(meter.totals(), before),
      handlerWallMs: wallMs,
      handlerCpuMs: cpuMs,
      batchItemFailures: failures,
      messagesLost: lost,
      ...(firstFailure === undefined ? {} : { firstFailure }),
      pagesPublished: snsDouble.commandCalls(PublishCommand).length - pagesBefore,
      largestInvocationBytes,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  }
}

/** Invokes the handler; the ids of the messages that failed (all of them if it throws) and why. */
async function invoke(
  handler: Handler,
  records: SQSRecord[],
): Promise<{ ids: Set<string>; reason?: string }> {
  try {
    const response = await handler(sqsEvent(records), benchLambdaContext());
    const ids = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    return ids.size === 0
      ? { ids }
      : { ids, reason: `${ids.size} of ${records.length} messages reported as failed` };
  } catch (error) {
    return {
      ids: new Set(records.map((record) => record.messageId)),
      reason: describeError(error).split("\n")[0],
    };
  }
}

/** The error and, for Powertools' FullBatchFailureError, the first record's own error. */
function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const first = (error as { recordErrors?: Error[] }).recordErrors?.[0];
  return `${error.stack ?? error.message}${first ? `\nfirst record: ${first.stack ?? first.message}` : ""}`;
}

// One request at a time; the parent disconnects when it has no more.
process.on("message", (request: WorkerRequest) => {
  const reply = (response: WorkerResponse) => process.send?.(response);
  runPhases(request).then(
    (phases) => reply({ ok: true, phases }),
    (error: unknown) => reply({ ok: false, error: describeError(error) }),
  );
});
process.on("disconnect", () => process.exit(0));
