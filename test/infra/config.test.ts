import { describe, expect, it } from "vitest";
import { HookwatchConfigError, parseHookwatchConfig } from "../../infra/config.js";
import { synthesizeHookwatch } from "./synthesize.js";

const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:hookwatch/token-AbC123";

function problemWith(context: Record<string, unknown>): string {
  try {
    parseHookwatchConfig(context);
  } catch (error) {
    expect(error).toBeInstanceOf(HookwatchConfigError);
    return (error as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(context)} to be refused`);
}

describe("configuration from the CDK context", () => {
  it("needs only appIds and fills in documented defaults", () => {
    const config = parseHookwatchConfig({ appIds: "app_1" });

    expect(config).toMatchObject({
      appIds: ["app_1"],
      signatureVerification: "on",
      jwksUrlTemplate: "https://{app_id}.session.prelude.dev/.well-known/jwks.json",
      jwksUrls: {},
      jwksFetchTimeoutMs: 3000,
      eventRetentionDays: 30,
      rejectedRetentionDays: 7,
      logRetention: 30,
      throttling: { rateLimit: 50, burstLimit: 100 },
      processorMaxConcurrency: 5,
      burstRules: {
        migration: { threshold: 5, windowSeconds: 60, quietSeconds: 60 },
        "step-up": { threshold: 5, windowSeconds: 60, quietSeconds: 60 },
      },
      paging: { emails: [], smsNumbers: [], httpsUrls: [] },
    });
    expect(config.hmacSecretArn).toBeUndefined();
    expect(config.verificationTokenSecretArn).toBeUndefined();
  });

  it("accepts command-line strings and cdk.json values alike", () => {
    const fromFlags = parseHookwatchConfig({
      appIds: " app_1 , app-2 ",
      migrationBurstThreshold: "8",
      pagingEmails: "a@example.com,b@example.com",
      jwksUrls: '{"app_1":"https://keys.example.com/a.json"}',
    });
    const fromJson = parseHookwatchConfig({
      appIds: ["app_1", "app-2"],
      migrationBurstThreshold: 8,
      pagingEmails: ["a@example.com", "b@example.com"],
      jwksUrls: { app_1: "https://keys.example.com/a.json" },
    });

    expect(fromFlags).toEqual(fromJson);
    expect(fromFlags.appIds).toEqual(["app_1", "app-2"]);
    expect(fromFlags.burstRules.migration.threshold).toBe(8);
  });

  it("keeps a runbook URL per hook, and none by default", () => {
    const config = parseHookwatchConfig({
      appIds: "app_1",
      stepUpRunbookUrl: "https://wiki.example.com/runbooks/step-up",
    });

    expect(config.burstRules["step-up"].runbookUrl).toBe("https://wiki.example.com/runbooks/step-up");
    expect(config.burstRules.migration).not.toHaveProperty("runbookUrl");
  });

  it("defaults the quiet period of each hook to its own window", () => {
    const config = parseHookwatchConfig({
      appIds: "a",
      stepUpBurstWindowSeconds: "120",
      migrationQuietSeconds: "30",
    });

    expect(config.burstRules["step-up"]).toEqual({ threshold: 5, windowSeconds: 120, quietSeconds: 120 });
    expect(config.burstRules.migration).toEqual({ threshold: 5, windowSeconds: 60, quietSeconds: 30 });
  });

  it("leaves reminders and response-storm warnings off unless a hook sets them", () => {
    const config = parseHookwatchConfig({
      appIds: "a",
      migrationReminderMinutes: "60",
      stepUpResponseStormThreshold: 20,
    });

    expect(config.burstRules.migration).toEqual({
      threshold: 5,
      windowSeconds: 60,
      quietSeconds: 60,
      reminderMinutes: 60,
    });
    expect(config.burstRules["step-up"]).toEqual({
      threshold: 5,
      windowSeconds: 60,
      quietSeconds: 60,
      responseStorm: { threshold: 20, windowSeconds: 300 },
    });
    expect(parseHookwatchConfig({ appIds: "a" }).burstRules.migration).not.toHaveProperty("reminderMinutes");
    expect(parseHookwatchConfig({ appIds: "a" }).burstRules.migration).not.toHaveProperty("responseStorm");
  });

  it("treats an empty -c key= as not set", () => {
    expect(parseHookwatchConfig({ appIds: "a", hmacSecretArn: "" }).hmacSecretArn).toBeUndefined();
  });

  it.each([
    [{ appIds: undefined }, "appIds is required: a comma-separated list of Prelude app ids"],
    [{ appIds: "" }, "appIds is required"],
    [{ appIds: " , " }, "appIds must be a comma-separated list of Prelude app ids"],
    [
      { appIds: "app 1" },
      "appIds must be a comma-separated list of Prelude app ids (letters, digits, '_' and '-'), at least one (got \"app 1\")",
    ],
    [
      { signatureVerification: "false" },
      'signatureVerification must be "on" or "off" (default "on") (got "false")',
    ],
    [{ jwksUrlTemplate: "http://keys.example.com/{app_id}" }, "jwksUrlTemplate must be an https:// URL"],
    [
      { jwksUrls: "{not json" },
      "jwksUrls must be a JSON object mapping configured app ids to https:// JWKS URLs",
    ],
    [{ jwksUrls: '{"app_1":"ftp://x"}' }, "jwksUrls must be a JSON object mapping"],
    [
      { jwksUrls: '{"other":"https://keys.example.com"}' },
      'jwksUrls names app "other", which is not one of appIds',
    ],
    [
      { jwksFetchTimeoutMs: "50" },
      "jwksFetchTimeoutMs must be a whole number of milliseconds from 100 to 10000",
    ],
    [{ jwksCacheSeconds: "1h" }, "jwksCacheSeconds must be a whole number of seconds from 1 to 86400"],
    [
      { jwksCacheSeconds: "60", jwksMinRefetchSeconds: "120" },
      "jwksMinRefetchSeconds (120) must not exceed jwksCacheSeconds (60)",
    ],
    [{ hmacSecretArn: "my-secret" }, "hmacSecretArn must be the complete ARN of a Secrets Manager secret"],
    [{ verificationTokenSecretArn: ARN.slice(0, -7) }, "verificationTokenSecretArn must be the complete ARN"],
    [{ eventRetentionDays: "0" }, "eventRetentionDays must be a whole number of days from 1 to 3650"],
    [
      { migrationReminderMinutes: "0" },
      "migrationReminderMinutes must be a whole number of minutes from 1 to 10080",
    ],
    [
      { stepUpReminderMinutes: "1h" },
      "stepUpReminderMinutes must be a whole number of minutes from 1 to 10080",
    ],
    [
      { migrationResponseStormThreshold: "-3" },
      "migrationResponseStormThreshold must be a whole number of response-level failures from 1 to 100000",
    ],
    [
      { stepUpResponseStormWindowSeconds: "120" },
      "stepUpResponseStormWindowSeconds is set but stepUpResponseStormThreshold is not",
    ],
    [{ rejectedRetentionDays: 2.5 }, "rejectedRetentionDays must be a whole number of days from 1 to 3650"],
    [
      { migrationBurstThreshold: "0" },
      "migrationBurstThreshold must be a whole number of failures from 1 to 10000",
    ],
    [{ migrationBurstWindowSeconds: "-5" }, "migrationBurstWindowSeconds must be a whole number of seconds"],
    [{ migrationQuietSeconds: "forever" }, "migrationQuietSeconds must be a whole number of seconds"],
    [
      { stepUpBurstThreshold: "10001" },
      "stepUpBurstThreshold must be a whole number of failures from 1 to 10000",
    ],
    [{ stepUpBurstWindowSeconds: "86401" }, "stepUpBurstWindowSeconds must be a whole number of seconds"],
    [{ stepUpQuietSeconds: true }, "stepUpQuietSeconds must be a whole number of seconds"],
    [
      { migrationRunbookUrl: "http://wiki.example.com/migration" },
      'migrationRunbookUrl must be an https:// URL of at most 1024 characters: the team\'s runbook for the migration hook, shown in its pages (got "http://wiki.example.com/migration")',
    ],
    [{ stepUpRunbookUrl: "wiki/step-up" }, "stepUpRunbookUrl must be an https:// URL"],
    [
      { stepUpRunbookUrl: `https://wiki.example.com/${"a".repeat(1024)}` },
      "stepUpRunbookUrl must be an https:// URL of at most 1024",
    ],
    [
      { logRetentionDays: "10" },
      "logRetentionDays must be a number of days CloudWatch Logs accepts: 1, 3, 5, 7, 14",
    ],
    [{ throttleRateLimit: "0" }, "throttleRateLimit must be a whole number of requests per second"],
    [
      { throttleRateLimit: "100", throttleBurstLimit: "50" },
      "throttleBurstLimit (50) must be at least throttleRateLimit (100)",
    ],
    [
      { processorMaxConcurrency: "1" },
      "processorMaxConcurrency must be a whole number of concurrent invocations from 2 to 1000",
    ],
    [
      { pagingEmails: "oncall" },
      'pagingEmails must be a comma-separated list of email addresses (got "oncall")',
    ],
    [
      { pagingSmsNumbers: "0612345678" },
      "pagingSmsNumbers must be a comma-separated list of phone numbers in E.164 form",
    ],
    [
      { pagingHttpsUrls: "http://hooks.example.com" },
      "pagingHttpsUrls must be a comma-separated list of https:// URLs",
    ],
    [
      { operationsEmails: ["ok@example.com", "not an address"] },
      "operationsEmails must be a comma-separated list of email addresses",
    ],
    [{ operationsSmsNumbers: "+1" }, "operationsSmsNumbers must be a comma-separated list of phone numbers"],
    [
      { operationsHttpsUrls: "hooks.example.com" },
      "operationsHttpsUrls must be a comma-separated list of https:// URLs",
    ],
    [{ appId: "typo" }, "appId is not a hookwatch setting (known settings: appIds, "],
  ])("refuses %j, naming the key and what it expects", (context, expected) => {
    const message = problemWith({ appIds: "app_1", ...context });

    expect(message).toContain(expected);
  });

  it("reports every bad setting at once", () => {
    const message = problemWith({ appIds: "app_1", eventRetentionDays: "0", pagingEmails: "x" });

    expect(message).toContain("eventRetentionDays must be");
    expect(message).toContain("pagingEmails must be");
  });

  it("ignores the CDK's own context keys", () => {
    expect(() =>
      parseHookwatchConfig({
        appIds: "a",
        "@aws-cdk/core:newStyleStackSynthesis": true,
        "cli-telemetry": false,
        "aws:cdk:bundling-stacks": [],
      }),
    ).not.toThrow();
  });

  it("fails synthesis of the stack with the message, naming the key", () => {
    expect(() => synthesizeHookwatch({ migrationBurstThreshold: "zero" })).toThrow(
      /migrationBurstThreshold must be a whole number of failures from 1 to 10000 \(default 5\) \(got "zero"\)/,
    );
  });
});
