import type { IncomingMessage, ServerResponse } from "node:http";
import { PAGERDUTY_LIMITS } from "../lambdas/destinations/pagerduty-event.js";
import {
  handleControl,
  listenOnLoopback,
  MisbehaviourQueue,
  readBody,
  type StandInControls,
  sendJson,
} from "./http-stand-in.js";

/** One event PagerDuty accepted (202). */
export interface AcceptedEvent {
  readonly receivedAt: string;
  readonly routingKey: string;
  readonly event: Readonly<Record<string, unknown>>;
}

/** An alert as PagerDuty keeps it per routing key and dedup key: triggered until a resolve closes it. */
export interface StandInIncident {
  readonly number: number;
  readonly routingKey: string;
  readonly dedupKey: string;
  status: "triggered" | "resolved";
  readonly summary: string;
  /** Triggers applied to this alert (the first opened it; repeats add log entries). */
  triggers: number;
  resolvedAt?: string;
}

export interface PagerDutyStandIn extends StandInControls {
  /** The Events API v2 endpoint, `…/v2/enqueue`. */
  readonly eventsUrl: string;
  readonly accepted: readonly AcceptedEvent[];
  readonly incidents: readonly StandInIncident[];
}

export interface PagerDutyStandInOptions {
  /** A line for the terminal about each event the stand-in accepted or refused. */
  readonly log?: (line: string) => void;
}

const SEVERITIES = ["critical", "error", "warning", "info"];
const ACTIONS = ["trigger", "acknowledge", "resolve"];
const INVALID = { status: "invalid event", message: "Event object is invalid" };

/**
 * A loopback stand-in for PagerDuty's Events API v2 (`POST /v2/enqueue`): it checks each event against the
 * documented schema and limits (routing key of 32 characters, event action, dedup key up to 255, payload
 * summary up to 1,024, source, severity, 512 KB), answers 202 `{status, message, dedup_key}` or 400
 * `{status: "invalid event", message, errors}`, and keeps alerts as PagerDuty does: a trigger opens one per
 * dedup key or adds to the open one, a resolve closes it, a resolve without an open alert is dropped.
 */
export async function startPagerDutyStandIn(
  options: PagerDutyStandInOptions = {},
): Promise<PagerDutyStandIn> {
  const log = options.log ?? (() => {});
  const accepted: AcceptedEvent[] = [];
  const incidents: StandInIncident[] = [];
  const misbehaviours = new MisbehaviourQueue();

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method === "POST" && (await handleControl(request, response, misbehaviours))) return;
    if (request.method !== "POST" || request.url !== "/v2/enqueue") {
      sendJson(response, 404, { status: "not found", message: "POST /v2/enqueue" });
      return;
    }
    const forced = misbehaviours.take();
    if (forced !== undefined) {
      await readBody(request, PAGERDUTY_LIMITS.maxEventBytes);
      const headers: Record<string, string> =
        forced.retryAfterSeconds === undefined ? {} : { "retry-after": String(forced.retryAfterSeconds) };
      log(`PagerDuty stand-in: answered ${forced.status} on demand`);
      sendJson(response, forced.status, answerFor(forced.status), headers);
      return;
    }
    const body = await readBody(request, PAGERDUTY_LIMITS.maxEventBytes);
    if (body === "too large") {
      sendJson(response, 413, {
        ...INVALID,
        errors: [`Event is over ${PAGERDUTY_LIMITS.maxEventBytes} bytes`],
      });
      return;
    }
    let event: unknown;
    try {
      event = JSON.parse(body.toString("utf8"));
    } catch {
      sendJson(response, 400, { ...INVALID, errors: ["Event is not valid JSON"] });
      return;
    }
    const errors = validateEvent(event);
    if (errors.length > 0) {
      log(`PagerDuty stand-in: refused an event (400): ${errors.join("; ")}`);
      sendJson(response, 400, { ...INVALID, errors });
      return;
    }
    const dedupKey = apply(event as Record<string, unknown>);
    sendJson(response, 202, { status: "success", message: "Event processed", dedup_key: dedupKey });
  }

  function apply(event: Record<string, unknown>): string {
    const routingKey = event.routing_key as string;
    const dedupKey =
      typeof event.dedup_key === "string" ? event.dedup_key : `stand-in-${accepted.length + 1}`;
    accepted.push({ receivedAt: new Date().toISOString(), routingKey, event });
    const open = incidents.find(
      (i) => i.routingKey === routingKey && i.dedupKey === dedupKey && i.status === "triggered",
    );
    const key = `routing key …${routingKey.slice(-4)}`;
    if (event.event_action === "trigger") {
      if (open !== undefined) {
        open.triggers += 1;
        log(
          `PagerDuty stand-in: trigger added to open incident #${open.number} (${key}, dedup_key ${dedupKey})`,
        );
      } else {
        const summary = String((event.payload as { summary?: unknown }).summary);
        incidents.push({
          number: incidents.length + 1,
          routingKey,
          dedupKey,
          status: "triggered",
          summary,
          triggers: 1,
        });
        log(
          `PagerDuty stand-in: incident #${incidents.length} OPENED (${key}, dedup_key ${dedupKey}): ${summary}`,
        );
      }
    } else if (event.event_action === "resolve") {
      if (open === undefined) {
        log(`PagerDuty stand-in: resolve dropped, no open incident for dedup_key ${dedupKey}`);
      } else {
        open.status = "resolved";
        open.resolvedAt = new Date().toISOString();
        log(`PagerDuty stand-in: incident #${open.number} RESOLVED (${key}, dedup_key ${dedupKey})`);
      }
    }
    return dedupKey;
  }

  const server = await listenOnLoopback(handle);
  return {
    eventsUrl: `${server.url}/v2/enqueue`,
    accepted,
    incidents,
    misbehave: (misbehaviour) => misbehaviours.add(misbehaviour),
    recover: () => misbehaviours.clear(),
    close: server.close,
  };
}

function answerFor(status: number): Record<string, unknown> {
  if (status === 429)
    return { status: "throttle event", message: "Requests for this service are arriving too quickly" };
  if (status === 400) return { ...INVALID, errors: ["Refused on demand by the stand-in"] };
  return { status: "error", message: "Internal server error" };
}

/** The Events API v2 rules for an alert event, one message per broken rule. */
export function validateEvent(event: unknown): string[] {
  if (event === null || typeof event !== "object" || Array.isArray(event))
    return ["Event must be a JSON object"];
  const e = event as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof e.routing_key !== "string") errors.push("'routing_key' is missing or blank");
  else if (e.routing_key.length !== PAGERDUTY_LIMITS.routingKeyLength)
    errors.push(
      `Length of 'routing_key' is incorrect (should be ${PAGERDUTY_LIMITS.routingKeyLength} characters)`,
    );
  if (typeof e.event_action !== "string" || !ACTIONS.includes(e.event_action))
    errors.push("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)");
  if (e.dedup_key !== undefined) {
    if (typeof e.dedup_key !== "string") errors.push("'dedup_key' must be a string");
    else if (e.dedup_key.length > PAGERDUTY_LIMITS.dedupKeyMaxLength)
      errors.push(`'dedup_key' is too long (max ${PAGERDUTY_LIMITS.dedupKeyMaxLength} characters)`);
  } else if (e.event_action !== "trigger")
    errors.push("'dedup_key' is required for acknowledge and resolve events");
  if (e.event_action === "trigger") errors.push(...validatePayload(e.payload), ...validateLinks(e.links));
  return errors;
}

function validatePayload(payload: unknown): string[] {
  if (payload === null || typeof payload !== "object" || Array.isArray(payload))
    return ["'payload' is missing or not an object"];
  const p = payload as Record<string, unknown>;
  const errors: string[] = [];
  if (typeof p.summary !== "string" || p.summary.trim() === "")
    errors.push("'payload.summary' is missing or blank");
  else if (p.summary.length > PAGERDUTY_LIMITS.summaryMaxLength)
    errors.push(`'payload.summary' is too long (max ${PAGERDUTY_LIMITS.summaryMaxLength} characters)`);
  if (typeof p.source !== "string" || p.source.trim() === "")
    errors.push("'payload.source' is missing or blank");
  if (typeof p.severity !== "string" || !SEVERITIES.includes(p.severity))
    errors.push("'payload.severity' is invalid (must be one of: critical, error, warning, info)");
  if (p.timestamp !== undefined && (typeof p.timestamp !== "string" || Number.isNaN(Date.parse(p.timestamp))))
    errors.push("'payload.timestamp' is not a valid ISO 8601 timestamp");
  for (const field of ["component", "group", "class"]) {
    if (p[field] !== undefined && typeof p[field] !== "string")
      errors.push(`'payload.${field}' must be a string`);
  }
  if (p.custom_details !== undefined && (typeof p.custom_details !== "object" || p.custom_details === null))
    errors.push("'payload.custom_details' must be an object");
  return errors;
}

function validateLinks(links: unknown): string[] {
  if (links === undefined) return [];
  if (!Array.isArray(links)) return ["'links' must be an array"];
  return links.flatMap((link, index) =>
    link !== null && typeof link === "object" && typeof (link as { href?: unknown }).href === "string"
      ? []
      : [`'links[${index}].href' is missing`],
  );
}
