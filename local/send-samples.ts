import { randomInt, randomUUID } from "node:crypto";
import { WEBHOOK_HEADERS } from "../lambdas/webhook/webhook-message.js";
import { createPreludeSigner, type PreludeSigner } from "./prelude-signer.js";

/** The samples `npm run send` knows, with what each shows. */
export const SCENARIOS = {
  migration: "one migration.hook_failed (request_failed), stored",
  "step-up": "one step_up.hook_failed (invalid_status_code), stored",
  burst:
    "6 migration transport failures in the last 5 s: crosses the default threshold (5 within 60 s), pages",
  "bad-responses":
    "6 migration response-level failures in the last 5 s: stored and counted; a warning only with migrationResponseStormThreshold set",
  duplicates: "one event twice in a batch, then the same batch again: stored once",
  invalid: "a batch with one valid event and one that breaks a documented rule: one stored, one quarantined",
  forged:
    "a batch signed with a key that is not the app's: accepted by the gateway, rejected by the processor",
  activate: "Prelude's activation GET with the local verification token: answered with the challenge",
} as const;
export type Scenario = keyof typeof SCENARIOS;

export function isScenario(name: string): name is Scenario {
  return Object.hasOwn(SCENARIOS, name);
}

/** One HTTP request of a scenario, ready to send. */
export interface SampleRequest {
  readonly method: "POST" | "GET";
  /** What is sent, in a few words. */
  readonly description: string;
  /** What the pipeline should do with it. */
  readonly expect: string;
  readonly body?: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  /** The storage keys (dispatch ids) of the events sent, to look them up. */
  readonly dispatchIds: readonly string[];
}

export interface ScenarioOptions {
  readonly appId: string;
  /** Signs like Prelude; absent sends no signature headers (for a stack with verification off). */
  readonly signer?: PreludeSigner;
  /** The local verification token, for `activate`. */
  readonly verificationToken?: string;
  /** "Now" for `occurred_at`. @default Date.now() */
  readonly now?: number;
}

type PreludeEvent = Record<string, unknown>;

/** The requests that make up a scenario, signed with the development key as Prelude signs with its own. */
export function buildScenario(scenario: Scenario, options: ScenarioOptions): SampleRequest[] {
  const now = options.now ?? Date.now();
  const ago = (seconds: number) => new Date(now - seconds * 1000).toISOString();
  const post = (events: PreludeEvent[], description: string, expect: string, signer = options.signer) => {
    const body = JSON.stringify({ app_id: options.appId, events });
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (signer !== undefined) {
      headers[WEBHOOK_HEADERS.signature] = signer.sign(body);
      // A forger copies the real key id; only the signature itself gives the forgery away.
      headers[WEBHOOK_HEADERS.signatureKeyId] = options.signer?.kid ?? signer.kid;
    }
    return {
      method: "POST" as const,
      description,
      expect,
      body,
      headers,
      dispatchIds: dispatchIdsOf(events),
    };
  };

  switch (scenario) {
    case "migration":
      return [
        post(
          [migrationFailure("request_failed", ago(1))],
          "1 migration.hook_failed (request_failed)",
          "stored",
        ),
      ];
    case "step-up":
      return [
        post(
          [stepUpFailure("invalid_status_code", ago(1))],
          "1 step_up.hook_failed (invalid_status_code)",
          "stored",
        ),
      ];
    case "burst": {
      const reasons = ["request_failed", "invalid_status_code"];
      const events = Array.from({ length: 6 }, (_, i) =>
        migrationFailure(reasons[i % 2] as string, ago(5 - i)),
      );
      return [
        post(
          events,
          "6 migration.hook_failed (3 request_failed, 3 invalid_status_code) within the last 5 s",
          "stored; a page in the npm start terminal within seconds (no new page while a burst of this hook is still open: wait for its resolve)",
        ),
      ];
    }
    case "bad-responses": {
      const reasons = ["missing_external_id", "invalid_response"];
      const events = Array.from({ length: 6 }, (_, i) =>
        migrationFailure(reasons[i % 2] as string, ago(5 - i)),
      );
      return [
        post(
          events,
          "6 migration.hook_failed (3 missing_external_id, 3 invalid_response) within the last 5 s",
          "stored, never paged; a response-level warning in the npm start terminal if started with -c migrationResponseStormThreshold=5 (or less)",
        ),
      ];
    }
    case "duplicates": {
      const event = stepUpFailure("missing_steps", ago(1));
      const batch = [event, event];
      return [
        post(batch, "the same step_up.hook_failed twice in one batch", "stored once"),
        post(batch, "the same batch again, as Prelude redelivers", "nothing new stored (duplicates)"),
      ];
    }
    case "invalid": {
      const broken: PreludeEvent = { ...stepUpFailure("request_failed", ago(1)), user_id: "bob" };
      delete broken.occurred_at;
      return [
        post(
          [migrationFailure("invalid_response", ago(1)), broken],
          "a valid migration.hook_failed and a step_up.hook_failed without occurred_at and with user_id 'bob'",
          "the valid one stored, the broken one quarantined with its reason (state table, QUARANTINE#<day>)",
        ),
      ];
    }
    case "forged":
      return [
        post(
          [migrationFailure("request_failed", ago(1))],
          "1 migration.hook_failed signed with a stranger's key, under the dev key's id",
          "HTTP 200 from the gateway (it does not verify); the processor rejects it (state table, REJECTED#<day>) and stores nothing",
          createPreludeSigner(),
        ),
      ];
    case "activate": {
      if (options.verificationToken === undefined) {
        throw new Error("activate needs the verification token: npm start creates .local/verification-token");
      }
      const challenge = String(randomInt(1, 2 ** 31));
      return [
        {
          method: "GET",
          description: `activation challenge ${challenge}`,
          expect: `200 {"challenge":${challenge}}`,
          headers: {},
          query: {
            event: "activate",
            verification_token: options.verificationToken,
            challenge,
            app_id: options.appId,
          },
          dispatchIds: [],
        },
      ];
    }
  }
}

/** In Prelude's wrapped shape `{id, type, payload, created_at}`. */
function migrationFailure(reason: string, occurredAt: string): PreludeEvent {
  return {
    id: `evt_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
    type: "migration.hook_failed",
    payload: {
      reason,
      occurred_at: occurredAt,
      dispatch_id: randomUUID(),
      correlation_id: `corr_${randomUUID().slice(0, 8)}`,
    },
    created_at: occurredAt,
  };
}

/** With the payload fields next to `type`, the other shape hookwatch accepts. */
function stepUpFailure(reason: string, occurredAt: string): PreludeEvent {
  return {
    type: "step_up.hook_failed",
    user_id: `usr_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
    session_id: `ses_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
    scope: "transfer_funds",
    reason,
    occurred_at: occurredAt,
    dispatch_id: randomUUID(),
    correlation_id: `corr_${randomUUID().slice(0, 8)}`,
  };
}

function dispatchIdsOf(events: readonly PreludeEvent[]): string[] {
  const ids = events.map((event) => {
    const fields = (event.payload ?? event) as Record<string, unknown>;
    return typeof fields.dispatch_id === "string" ? fields.dispatch_id : undefined;
  });
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}
