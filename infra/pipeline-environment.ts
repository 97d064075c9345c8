import type { BurstRule } from "../lambdas/runtime/config.js";
import { METRICS_NAMESPACE, SERVICE_NAME } from "../lambdas/runtime/metric-names.js";
import type { HookwatchConfig } from "./config.js";

/** The deployed resources the processor and recovery functions talk to. */
export interface PipelineResources {
  readonly eventsTableName: string;
  readonly stateTableName: string;
  readonly pagingTopicArn: string;
}

/**
 * The environment of the processor and the recovery function, in the variables that
 * `lambdas/runtime/config.ts` parses at cold start. Every setting is written out, defaults
 * included, so the template shows what a deployment really runs with.
 */
export function buildPipelineEnvironment(
  config: HookwatchConfig,
  resources: PipelineResources,
): Record<string, string> {
  const rules = config.burstRules;
  return {
    EVENTS_TABLE_NAME: resources.eventsTableName,
    STATE_TABLE_NAME: resources.stateTableName,
    PAGING_TOPIC_ARN: resources.pagingTopicArn,
    PRELUDE_APP_IDS: config.appIds.join(","),
    SIGNATURE_VERIFICATION: config.signatureVerification,
    JWKS_URL_TEMPLATE: config.jwksUrlTemplate,
    ...(Object.keys(config.jwksUrls).length === 0 ? {} : { JWKS_URLS: JSON.stringify(config.jwksUrls) }),
    JWKS_FETCH_TIMEOUT_MS: String(config.jwksFetchTimeoutMs),
    JWKS_CACHE_SECONDS: String(config.jwksCacheSeconds),
    JWKS_MIN_REFETCH_SECONDS: String(config.jwksMinRefetchSeconds),
    ...(config.hmacSecretArn === undefined ? {} : { HMAC_SECRET_ARN: config.hmacSecretArn }),
    EVENT_RETENTION_DAYS: String(config.eventRetentionDays),
    REJECTED_RETENTION_DAYS: String(config.rejectedRetentionDays),
    MIGRATION_BURST_THRESHOLD: String(rules.migration.threshold),
    MIGRATION_BURST_WINDOW_SECONDS: String(rules.migration.windowSeconds),
    MIGRATION_QUIET_SECONDS: String(rules.migration.quietSeconds),
    STEP_UP_BURST_THRESHOLD: String(rules["step-up"].threshold),
    STEP_UP_BURST_WINDOW_SECONDS: String(rules["step-up"].windowSeconds),
    STEP_UP_QUIET_SECONDS: String(rules["step-up"].quietSeconds),
    ...optInEnvironment("MIGRATION", rules.migration),
    ...optInEnvironment("STEP_UP", rules["step-up"]),
    ...(rules.migration.runbookUrl === undefined
      ? {}
      : { MIGRATION_RUNBOOK_URL: rules.migration.runbookUrl }),
    ...(rules["step-up"].runbookUrl === undefined
      ? {}
      : { STEP_UP_RUNBOOK_URL: rules["step-up"].runbookUrl }),
    ...powertoolsEnvironment(),
  };
}

/** Reminders and the response-storm warning: written only when a hook turns them on (absent means off). */
function optInEnvironment(prefix: "MIGRATION" | "STEP_UP", rule: BurstRule): Record<string, string> {
  return {
    ...(rule.reminderMinutes === undefined
      ? {}
      : { [`${prefix}_REMINDER_MINUTES`]: String(rule.reminderMinutes) }),
    ...(rule.responseStorm === undefined
      ? {}
      : {
          [`${prefix}_RESPONSE_STORM_THRESHOLD`]: String(rule.responseStorm.threshold),
          [`${prefix}_RESPONSE_STORM_WINDOW_SECONDS`]: String(rule.responseStorm.windowSeconds),
        }),
  };
}

/** Powertools settings shared by every hookwatch function: service name, metric namespace, log level. */
export function powertoolsEnvironment(): Record<string, string> {
  return {
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: "INFO",
  };
}
