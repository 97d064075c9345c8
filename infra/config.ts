import { RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IConstruct } from "constructs";
import { z } from "zod";
import type { DestinationSettings } from "../lambdas/destinations/destination-settings.js";
import {
  type BurstRule,
  DEFAULT_BURST_RULE,
  DEFAULT_JWKS_URL_TEMPLATE,
  DEFAULT_RESPONSE_STORM_WINDOW_SECONDS,
} from "../lambdas/runtime/config.js";
import type { Hook } from "../lambdas/runtime/hooks.js";
import { parseDestinations } from "./destinations-config.js";

/** A `cdk.json` context value or `-c key=value` flag that hookwatch cannot use; names the key. */
export class HookwatchConfigError extends Error {
  override name = "HookwatchConfigError";
}

/** Who is notified by one SNS topic; each list may be empty. */
export interface SubscriptionTargets {
  readonly emails: readonly string[];
  readonly smsNumbers: readonly string[];
  readonly httpsUrls: readonly string[];
}

/** Everything a deployment can tune, validated at synth time. */
export interface HookwatchConfig {
  /** The Prelude apps whose webhooks are accepted (and whose activation challenge is answered). */
  readonly appIds: readonly string[];
  readonly signatureVerification: "on" | "off";
  readonly jwksUrlTemplate: string;
  /** Per-app JWKS URL overrides. */
  readonly jwksUrls: Readonly<Record<string, string>>;
  readonly jwksFetchTimeoutMs: number;
  readonly jwksCacheSeconds: number;
  readonly jwksMinRefetchSeconds: number;
  /** Complete ARN of the secret holding the legacy `sha256=` HMAC key; unset disables HMAC signatures. */
  readonly hmacSecretArn?: string;
  /** Complete ARN of a secret holding the activation verification token; unset: the stack generates one. */
  readonly verificationTokenSecretArn?: string;
  readonly eventRetentionDays: number;
  readonly rejectedRetentionDays: number;
  readonly burstRules: Readonly<Record<Hook, BurstRule>>;
  readonly logRetention: RetentionDays;
  /** Stage-wide API Gateway throttling: steady requests per second and burst. */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** Most concurrent processor invocations the SQS event source may run. */
  readonly processorMaxConcurrency: number;
  /** Subscriptions to the paging topic (burst pages and resolves). */
  readonly paging: SubscriptionTargets;
  /** Subscriptions to the operations topic (CloudWatch alarms). */
  readonly operations: SubscriptionTargets;
  /** Where the delivery function sends each page (PagerDuty, signed webhooks); empty: no delivery function. */
  readonly destinations: readonly DestinationSettings[];
}

const LOG_RETENTION_DAYS = Object.values(RetentionDays).filter(
  (days): days is RetentionDays => typeof days === "number" && days !== RetentionDays.INFINITE,
);

const appIdPattern = /^[\w-]+$/;
const secretArnPattern = /^arn:aws[\w-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}$/;
const emailPattern = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const e164Pattern = /^\+[1-9]\d{6,14}$/;

/** Comma-separated on the command line (`-c appIds=a,b`), or a JSON array in `cdk.json`. */
const list = (item: z.ZodType<string, string>) =>
  z
    .union([z.array(z.string()), z.string()])
    .transform((value) =>
      (Array.isArray(value) ? value : value.split(","))
        .map((entry) => entry.trim())
        .filter((entry) => entry !== ""),
    )
    .pipe(z.array(item));

/** A number in `cdk.json`, a string of digits on the command line. */
const wholeNumber = (min: number, max: number) =>
  z
    .union([z.number(), z.string().regex(/^\s*\d+\s*$/)])
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const httpsUrl = z.string().regex(/^https:\/\/[^\s/]+\S*$/);

// Off unless set: reminders and response-storm warnings are opt-in, per hook.
const REMINDER_MINUTES = {
  schema: wholeNumber(1, 10_080).optional(),
  expects: "a whole number of minutes from 1 to 10080 (default: no reminders; 60 is a good start)",
};
const STORM_THRESHOLD = {
  schema: wholeNumber(1, 100_000).optional(),
  expects: "a whole number of response-level failures from 1 to 100000 (default: no response-storm warning)",
};
const STORM_WINDOW_SECONDS = {
  schema: wholeNumber(1, 86_400).optional(),
  expects: `a whole number of seconds from 1 to 86400 (default ${DEFAULT_RESPONSE_STORM_WINDOW_SECONDS}, with a threshold set)`,
};

/** Each key hookwatch reads from the CDK context, with its schema, default and what a reader must supply. */
const KEYS = {
  appIds: {
    schema: list(z.string().regex(appIdPattern)).pipe(z.array(z.string()).min(1)),
    expects: "a comma-separated list of Prelude app ids (letters, digits, '_' and '-'), at least one",
  },
  signatureVerification: {
    schema: z.enum(["on", "off"]).default("on"),
    expects: '"on" or "off" (default "on")',
  },
  jwksUrlTemplate: {
    schema: httpsUrl.default(DEFAULT_JWKS_URL_TEMPLATE),
    expects: "an https:// URL, where {app_id} is replaced by the app id",
  },
  jwksUrls: {
    schema: z
      .union([z.string(), z.record(z.string(), z.unknown())])
      .transform((value, ctx) => {
        if (typeof value !== "string") return value;
        try {
          return JSON.parse(value) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: "not JSON" });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string().regex(appIdPattern), httpsUrl))
      .default({}),
    expects: 'a JSON object mapping configured app ids to https:// JWKS URLs, e.g. {"app_1":"https://…"}',
  },
  jwksFetchTimeoutMs: {
    schema: wholeNumber(100, 10_000).default(3_000),
    expects: "a whole number of milliseconds from 100 to 10000 (default 3000)",
  },
  jwksCacheSeconds: {
    schema: wholeNumber(1, 86_400).default(3_600),
    expects: "a whole number of seconds from 1 to 86400 (default 3600)",
  },
  jwksMinRefetchSeconds: {
    schema: wholeNumber(1, 3_600).default(30),
    expects: "a whole number of seconds from 1 to 3600 (default 30)",
  },
  hmacSecretArn: {
    schema: z.string().regex(secretArnPattern).optional(),
    expects: "the complete ARN of a Secrets Manager secret (ending in the 6-character suffix)",
  },
  verificationTokenSecretArn: {
    schema: z.string().regex(secretArnPattern).optional(),
    expects: "the complete ARN of a Secrets Manager secret (ending in the 6-character suffix)",
  },
  eventRetentionDays: {
    schema: wholeNumber(1, 3_650).default(30),
    expects: "a whole number of days from 1 to 3650 (default 30)",
  },
  rejectedRetentionDays: {
    schema: wholeNumber(1, 3_650).default(7),
    expects: "a whole number of days from 1 to 3650 (default 7)",
  },
  migrationBurstThreshold: {
    schema: wholeNumber(1, 10_000).default(DEFAULT_BURST_RULE.threshold),
    expects: `a whole number of failures from 1 to 10000 (default ${DEFAULT_BURST_RULE.threshold})`,
  },
  migrationBurstWindowSeconds: {
    schema: wholeNumber(1, 86_400).default(DEFAULT_BURST_RULE.windowSeconds),
    expects: `a whole number of seconds from 1 to 86400 (default ${DEFAULT_BURST_RULE.windowSeconds})`,
  },
  migrationQuietSeconds: {
    schema: wholeNumber(1, 86_400).optional(),
    expects: "a whole number of seconds from 1 to 86400 (default: the burst window)",
  },
  stepUpBurstThreshold: {
    schema: wholeNumber(1, 10_000).default(DEFAULT_BURST_RULE.threshold),
    expects: `a whole number of failures from 1 to 10000 (default ${DEFAULT_BURST_RULE.threshold})`,
  },
  stepUpBurstWindowSeconds: {
    schema: wholeNumber(1, 86_400).default(DEFAULT_BURST_RULE.windowSeconds),
    expects: `a whole number of seconds from 1 to 86400 (default ${DEFAULT_BURST_RULE.windowSeconds})`,
  },
  stepUpQuietSeconds: {
    schema: wholeNumber(1, 86_400).optional(),
    expects: "a whole number of seconds from 1 to 86400 (default: the burst window)",
  },
  migrationReminderMinutes: REMINDER_MINUTES,
  stepUpReminderMinutes: REMINDER_MINUTES,
  migrationResponseStormThreshold: STORM_THRESHOLD,
  migrationResponseStormWindowSeconds: STORM_WINDOW_SECONDS,
  stepUpResponseStormThreshold: STORM_THRESHOLD,
  stepUpResponseStormWindowSeconds: STORM_WINDOW_SECONDS,
  migrationRunbookUrl: {
    schema: httpsUrl.max(1024).optional(),
    expects:
      "an https:// URL of at most 1024 characters: the team's runbook for the migration hook, shown in its pages",
  },
  stepUpRunbookUrl: {
    schema: httpsUrl.max(1024).optional(),
    expects:
      "an https:// URL of at most 1024 characters: the team's runbook for the step-up hook, shown in its pages",
  },
  logRetentionDays: {
    schema: wholeNumber(1, 3_653)
      .refine((days) => (LOG_RETENTION_DAYS as number[]).includes(days))
      .default(RetentionDays.ONE_MONTH),
    expects: `a number of days CloudWatch Logs accepts: ${LOG_RETENTION_DAYS.join(", ")} (default 30)`,
  },
  throttleRateLimit: {
    schema: wholeNumber(1, 10_000).default(50),
    expects: "a whole number of requests per second from 1 to 10000 (default 50)",
  },
  throttleBurstLimit: {
    schema: wholeNumber(1, 5_000).default(100),
    expects: "a whole number of requests from 1 to 5000 (default 100)",
  },
  processorMaxConcurrency: {
    // 2 is the smallest maximum concurrency an SQS event source accepts.
    schema: wholeNumber(2, 1_000).default(5),
    expects: "a whole number of concurrent invocations from 2 to 1000 (default 5)",
  },
  pagingEmails: {
    schema: list(z.string().regex(emailPattern)).default([]),
    expects: "a comma-separated list of email addresses",
  },
  pagingSmsNumbers: {
    schema: list(z.string().regex(e164Pattern)).default([]),
    expects: "a comma-separated list of phone numbers in E.164 form (+15555550100)",
  },
  pagingHttpsUrls: {
    schema: list(httpsUrl).default([]),
    expects: "a comma-separated list of https:// URLs",
  },
  operationsEmails: {
    schema: list(z.string().regex(emailPattern)).default([]),
    expects: "a comma-separated list of email addresses",
  },
  operationsSmsNumbers: {
    schema: list(z.string().regex(e164Pattern)).default([]),
    expects: "a comma-separated list of phone numbers in E.164 form (+15555550100)",
  },
  operationsHttpsUrls: {
    schema: list(httpsUrl).default([]),
    expects: "a comma-separated list of https:// URLs",
  },
  // Checked field by field in destinations-config.ts, so each message names the entry and field.
  destinations: {
    schema: z.unknown(),
    expects: "a JSON array of destinations",
  },
} as const satisfies Record<string, { schema: z.ZodType; expects: string }>;

type ConfigKey = keyof typeof KEYS;
type Parsed = { [K in ConfigKey]: z.output<(typeof KEYS)[K]["schema"]> };

/** The context keys hookwatch reads, for documentation and error messages. */
export const CONFIG_KEYS = Object.keys(KEYS) as ConfigKey[];

/** Context keys that belong to the CDK itself (feature flags, CLI settings), not to hookwatch. */
function isCdkKey(key: string): boolean {
  return key.startsWith("@") || key.includes(":") || key === "cli-telemetry";
}

function describe(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value ?? null);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Validates the CDK context; every problem is reported at once, each naming its key. */
export function parseHookwatchConfig(context: Readonly<Record<string, unknown>>): HookwatchConfig {
  const problems: string[] = [];
  const parsed: Partial<Record<ConfigKey, unknown>> = {};

  for (const key of CONFIG_KEYS) {
    const raw = context[key];
    // `-c key=` on the command line means "not set".
    const value = raw === "" || raw === null ? undefined : raw;
    const result = (KEYS[key].schema as z.ZodType).safeParse(value);
    if (result.success) parsed[key] = result.data;
    else if (value === undefined) problems.push(`${key} is required: ${KEYS[key].expects}`);
    else problems.push(`${key} must be ${KEYS[key].expects} (got ${describe(value)})`);
  }
  for (const key of Object.keys(context)) {
    if (!isCdkKey(key) && !(key in KEYS)) {
      problems.push(`${key} is not a hookwatch setting (known settings: ${CONFIG_KEYS.join(", ")})`);
    }
  }
  if (problems.length > 0) throw new HookwatchConfigError(formatProblems(problems));

  const c = parsed as Parsed;
  for (const app of Object.keys(c.jwksUrls)) {
    if (!c.appIds.includes(app)) {
      problems.push(`jwksUrls names app "${app}", which is not one of appIds (${c.appIds.join(", ")})`);
    }
  }
  if (c.jwksMinRefetchSeconds > c.jwksCacheSeconds) {
    problems.push(
      `jwksMinRefetchSeconds (${c.jwksMinRefetchSeconds}) must not exceed jwksCacheSeconds (${c.jwksCacheSeconds})`,
    );
  }
  const { destinations, problems: destinationProblems } = parseDestinations(c.destinations);
  problems.push(...destinationProblems);
  for (const prefix of ["migration", "stepUp"] as const) {
    if (
      c[`${prefix}ResponseStormWindowSeconds`] !== undefined &&
      c[`${prefix}ResponseStormThreshold`] === undefined
    ) {
      problems.push(
        `${prefix}ResponseStormWindowSeconds is set but ${prefix}ResponseStormThreshold is not: the threshold turns the warning on`,
      );
    }
  }
  if (c.throttleBurstLimit < c.throttleRateLimit) {
    problems.push(
      `throttleBurstLimit (${c.throttleBurstLimit}) must be at least throttleRateLimit (${c.throttleRateLimit})`,
    );
  }
  if (problems.length > 0) throw new HookwatchConfigError(formatProblems(problems));

  return {
    appIds: c.appIds,
    signatureVerification: c.signatureVerification,
    jwksUrlTemplate: c.jwksUrlTemplate,
    jwksUrls: c.jwksUrls,
    jwksFetchTimeoutMs: c.jwksFetchTimeoutMs,
    jwksCacheSeconds: c.jwksCacheSeconds,
    jwksMinRefetchSeconds: c.jwksMinRefetchSeconds,
    ...(c.hmacSecretArn === undefined ? {} : { hmacSecretArn: c.hmacSecretArn }),
    ...(c.verificationTokenSecretArn === undefined
      ? {}
      : { verificationTokenSecretArn: c.verificationTokenSecretArn }),
    eventRetentionDays: c.eventRetentionDays,
    rejectedRetentionDays: c.rejectedRetentionDays,
    burstRules: { migration: hookRule(c, "migration"), "step-up": hookRule(c, "stepUp") },
    logRetention: c.logRetentionDays as RetentionDays,
    throttling: { rateLimit: c.throttleRateLimit, burstLimit: c.throttleBurstLimit },
    processorMaxConcurrency: c.processorMaxConcurrency,
    paging: { emails: c.pagingEmails, smsNumbers: c.pagingSmsNumbers, httpsUrls: c.pagingHttpsUrls },
    operations: {
      emails: c.operationsEmails,
      smsNumbers: c.operationsSmsNumbers,
      httpsUrls: c.operationsHttpsUrls,
    },
    destinations,
  };
}

/** One hook's rule from its context keys; reminders and the response-storm warning only when set. */
function hookRule(c: Parsed, prefix: "migration" | "stepUp"): BurstRule {
  const reminderMinutes = c[`${prefix}ReminderMinutes`];
  const stormThreshold = c[`${prefix}ResponseStormThreshold`];
  const runbookUrl = c[`${prefix}RunbookUrl`];
  return {
    threshold: c[`${prefix}BurstThreshold`],
    windowSeconds: c[`${prefix}BurstWindowSeconds`],
    quietSeconds: c[`${prefix}QuietSeconds`] ?? c[`${prefix}BurstWindowSeconds`],
    ...(reminderMinutes === undefined ? {} : { reminderMinutes }),
    ...(runbookUrl === undefined ? {} : { runbookUrl }),
    ...(stormThreshold === undefined
      ? {}
      : {
          responseStorm: {
            threshold: stormThreshold,
            windowSeconds: c[`${prefix}ResponseStormWindowSeconds`] ?? DEFAULT_RESPONSE_STORM_WINDOW_SECONDS,
          },
        }),
  };
}

function formatProblems(problems: readonly string[]): string {
  return `hookwatch configuration (cdk.json context or -c key=value):\n${problems.map((p) => `  - ${p}`).join("\n")}`;
}

/** Reads and validates the configuration from a construct's CDK context. */
export function readHookwatchConfig(scope: IConstruct): HookwatchConfig {
  return parseHookwatchConfig(scope.node.getAllContext());
}
