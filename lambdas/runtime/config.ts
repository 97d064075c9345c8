import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import * as z from "zod/mini";
import { appIdList, ConfigError, describeIssues, splitAppIds } from "./env-config.js";
import type { Hook } from "./hooks.js";

/*
 * The runtime room holds what every function needs at run time and nothing of the domain: configuration
 * parsed once at cold start (this file, env-config), the SDK clients, secrets, metrics, the tables' key
 * names and attribute helpers, the two hooks' names, and the error that asks SQS for a retry. It imports
 * from no other room.
 */

export interface BurstRule {
  /** Transport failures within `windowSeconds` of each other that open a burst. */
  readonly threshold: number;
  readonly windowSeconds: number;
  /** A burst resolves after this long without a transport failure. */
  readonly quietSeconds: number;
  /** The team's runbook for this hook, shown in its pages; https only. */
  readonly runbookUrl?: string;
  /** An open burst is announced again every this many minutes; absent: no reminders (the default). */
  readonly reminderMinutes?: number;
  /** Response-level failures that raise a `warning` of their own; absent: they are never announced (the default). */
  readonly responseStorm?: ResponseStormRule;
}

/** When response-level failures (the hook answers 2xx with a body Prelude cannot use) become a warning. */
export interface ResponseStormRule {
  /** Response-level failures within `windowSeconds` of each other that open a storm. */
  readonly threshold: number;
  /** Also the quiet period: a storm resolves after this long without a response-level failure. */
  readonly windowSeconds: number;
}

export interface Config {
  readonly eventsTableName: string;
  readonly stateTableName: string;
  readonly pagingTopicArn: string;
  /** The Prelude apps whose webhooks are accepted; any other `app_id` is rejected. */
  readonly appIds: readonly string[];
  readonly signatureVerification: "on" | "off";
  /** JWKS location per app: `JWKS_URLS[app]`, else `JWKS_URL_TEMPLATE` with `{app_id}` replaced. */
  readonly jwksUrlFor: (appId: string) => string;
  readonly jwksFetchTimeoutMs: number;
  readonly jwksCacheSeconds: number;
  readonly jwksMinRefetchSeconds: number;
  /** ARN of a Secrets Manager secret holding the legacy `sha256=` HMAC secret; unset disables HMAC. */
  readonly hmacSecretArn?: string;
  readonly eventRetentionDays: number;
  readonly rejectedRetentionDays: number;
  readonly burstRules: Readonly<Record<Hook, BurstRule>>;
}

export const DEFAULT_JWKS_URL_TEMPLATE = "https://{app_id}.session.prelude.dev/.well-known/jwks.json";

/** Defaults: 5 transport failures within 60 s open a burst; 60 s without one resolves it. */
export const DEFAULT_BURST_RULE: BurstRule = { threshold: 5, windowSeconds: 60, quietSeconds: 60 };

/** A response storm's window when only its threshold is set. */
export const DEFAULT_RESPONSE_STORM_WINDOW_SECONDS = 300;

const positiveInt = (max: number) =>
  z.pipe(
    z.string().check(z.regex(/^\d+$/, "a whole number")),
    z.pipe(z.transform(Number), z.number().check(z.gte(1, "at least 1"), z.lte(max, `at most ${max}`))),
  );

const nonEmpty = z.string().check(z.trim(), z.minLength(1, "a non-empty value"));

const httpsUrl = z.string().check(z.regex(/^https?:\/\/\S+$/, "an http(s) URL"));

// A runbook is opened by on-call from a page: plain http would be open to tampering on the way.
const runbookUrl = z
  .string()
  .check(z.regex(/^https:\/\/[^\s/]+\S*$/, "an https:// URL"), z.maxLength(1024, "at most 1024 characters"));

const envSchema = z.object({
  EVENTS_TABLE_NAME: nonEmpty,
  STATE_TABLE_NAME: nonEmpty,
  PAGING_TOPIC_ARN: nonEmpty,
  PRELUDE_APP_IDS: appIdList,
  SIGNATURE_VERIFICATION: z._default(z.enum(["on", "off"]), "on"),
  JWKS_URL_TEMPLATE: z._default(httpsUrl, DEFAULT_JWKS_URL_TEMPLATE),
  JWKS_URLS: z.optional(z.string()),
  JWKS_FETCH_TIMEOUT_MS: z._default(positiveInt(10_000), 3000),
  JWKS_CACHE_SECONDS: z._default(positiveInt(86_400), 3600),
  JWKS_MIN_REFETCH_SECONDS: z._default(positiveInt(3_600), 30),
  HMAC_SECRET_ARN: z.optional(nonEmpty),
  EVENT_RETENTION_DAYS: z._default(positiveInt(3_650), 30),
  REJECTED_RETENTION_DAYS: z._default(positiveInt(3_650), 7),
  MIGRATION_BURST_THRESHOLD: z.optional(positiveInt(10_000)),
  MIGRATION_BURST_WINDOW_SECONDS: z.optional(positiveInt(86_400)),
  MIGRATION_QUIET_SECONDS: z.optional(positiveInt(86_400)),
  STEP_UP_BURST_THRESHOLD: z.optional(positiveInt(10_000)),
  STEP_UP_BURST_WINDOW_SECONDS: z.optional(positiveInt(86_400)),
  STEP_UP_QUIET_SECONDS: z.optional(positiveInt(86_400)),
  MIGRATION_REMINDER_MINUTES: z.optional(positiveInt(10_080)),
  STEP_UP_REMINDER_MINUTES: z.optional(positiveInt(10_080)),
  MIGRATION_RESPONSE_STORM_THRESHOLD: z.optional(positiveInt(100_000)),
  MIGRATION_RESPONSE_STORM_WINDOW_SECONDS: z.optional(positiveInt(86_400)),
  STEP_UP_RESPONSE_STORM_THRESHOLD: z.optional(positiveInt(100_000)),
  STEP_UP_RESPONSE_STORM_WINDOW_SECONDS: z.optional(positiveInt(86_400)),
  MIGRATION_RUNBOOK_URL: z.optional(runbookUrl),
  STEP_UP_RUNBOOK_URL: z.optional(runbookUrl),
});

const jwksUrlsSchema = z.record(z.string(), httpsUrl);

/** Parses the Lambda environment once, at cold start. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success)
    throw new ConfigError(`hookwatch configuration: ${describeIssues(parsed.error.issues)}`);
  const e = parsed.data;

  let jwksUrls: Record<string, string> = {};
  if (e.JWKS_URLS !== undefined && e.JWKS_URLS.trim() !== "") {
    let json: unknown;
    try {
      json = JSON.parse(e.JWKS_URLS);
    } catch {
      throw new ConfigError('hookwatch configuration: JWKS_URLS must be a JSON object {"<app id>": "<url>"}');
    }
    const urls = jwksUrlsSchema.safeParse(json);
    if (!urls.success) {
      throw new ConfigError(`hookwatch configuration: JWKS_URLS must map app ids to http(s) URLs`);
    }
    jwksUrls = urls.data;
  }

  const rule = (prefix: "MIGRATION" | "STEP_UP"): BurstRule => {
    const window = e[`${prefix}_BURST_WINDOW_SECONDS`] ?? DEFAULT_BURST_RULE.windowSeconds;
    const reminderMinutes = e[`${prefix}_REMINDER_MINUTES`];
    const runbookUrl = e[`${prefix}_RUNBOOK_URL`];
    const stormThreshold = e[`${prefix}_RESPONSE_STORM_THRESHOLD`];
    const stormWindow = e[`${prefix}_RESPONSE_STORM_WINDOW_SECONDS`] ?? DEFAULT_RESPONSE_STORM_WINDOW_SECONDS;
    return {
      threshold: e[`${prefix}_BURST_THRESHOLD`] ?? DEFAULT_BURST_RULE.threshold,
      windowSeconds: window,
      quietSeconds: e[`${prefix}_QUIET_SECONDS`] ?? window,
      ...(reminderMinutes === undefined ? {} : { reminderMinutes }),
      ...(runbookUrl === undefined ? {} : { runbookUrl }),
      ...(stormThreshold === undefined
        ? {}
        : { responseStorm: { threshold: stormThreshold, windowSeconds: stormWindow } }),
    };
  };

  const template = e.JWKS_URL_TEMPLATE;
  return {
    eventsTableName: e.EVENTS_TABLE_NAME,
    stateTableName: e.STATE_TABLE_NAME,
    pagingTopicArn: e.PAGING_TOPIC_ARN,
    appIds: splitAppIds(e.PRELUDE_APP_IDS),
    signatureVerification: e.SIGNATURE_VERIFICATION,
    jwksUrlFor: (appId) => jwksUrls[appId] ?? template.replaceAll("{app_id}", encodeURIComponent(appId)),
    jwksFetchTimeoutMs: e.JWKS_FETCH_TIMEOUT_MS,
    jwksCacheSeconds: e.JWKS_CACHE_SECONDS,
    jwksMinRefetchSeconds: e.JWKS_MIN_REFETCH_SECONDS,
    ...(e.HMAC_SECRET_ARN === undefined ? {} : { hmacSecretArn: e.HMAC_SECRET_ARN }),
    eventRetentionDays: e.EVENT_RETENTION_DAYS,
    rejectedRetentionDays: e.REJECTED_RETENTION_DAYS,
    burstRules: { migration: rule("MIGRATION"), "step-up": rule("STEP_UP") },
  };
}

/** The signature verifier's settings; the caller adds the HMAC secret loader when one is configured. */
export function verifierSettings(config: Config) {
  return {
    appIds: config.appIds,
    jwksUrlFor: config.jwksUrlFor,
    fetchTimeoutMs: config.jwksFetchTimeoutMs,
    cacheSeconds: config.jwksCacheSeconds,
    minRefetchSeconds: config.jwksMinRefetchSeconds,
  };
}

/** Both tables as the event store and the burst code take them. */
export function tablesFor(config: Config, client: DynamoDBClient) {
  return {
    client,
    eventsTableName: config.eventsTableName,
    stateTableName: config.stateTableName,
    retentionDays: config.eventRetentionDays,
  };
}

/** Where quarantined and rejected input is kept: quarantine as long as events, rejections shorter. */
export function intakeRecordsFor(config: Config, client: DynamoDBClient) {
  return {
    client,
    stateTableName: config.stateTableName,
    quarantineRetentionDays: config.eventRetentionDays,
    rejectedRetentionDays: config.rejectedRetentionDays,
  };
}
