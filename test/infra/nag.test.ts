import { App, type PolicyValidationPluginReport, Stack, Validations } from "aws-cdk-lib";
import { Queue, QueueEncryption } from "aws-cdk-lib/aws-sqs";
import { AwsSolutionsChecks, type NagPack, ServerlessChecks } from "cdk-nag";
import type { IConstruct } from "constructs";
import { describe, expect, it } from "vitest";
import { HookwatchStack } from "../../infra/hookwatch-stack.js";
import { addNagChecks } from "../../infra/nag-checks.js";
import { synthesizeHookwatch, TEST_APP_IDS } from "./synthesize.js";

/** Every optional part switched on, so its resources are checked too. */
const FULL_CONTEXT = {
  signatureVerification: "off",
  hmacSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hmac-AbC123",
  verificationTokenSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:token-XyZ789",
  jwksUrls: '{"app_one":"https://keys.example.com/jwks.json"}',
  pagingEmails: "oncall@example.com",
  pagingSmsNumbers: "+15555550100",
  pagingHttpsUrls: "https://events.example.com/hookwatch",
  operationsEmails: "ops@example.com",
  operationsSmsNumbers: "+15555550101",
  operationsHttpsUrls: "https://ops.example.com/alarms",
  destinations: JSON.stringify([
    {
      type: "pagerduty",
      routingKeySecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:pd-AbC123",
    },
    {
      type: "webhook",
      url: "https://hooks.example.com/in",
      signingSecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:wh-AbC123",
    },
  ]),
};

const packs = (): NagPack[] => [new AwsSolutionsChecks(), new ServerlessChecks()];

function findings(scope: IConstruct, pack: NagPack): string[] {
  const report: PolicyValidationPluginReport = pack.validateScope(scope);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
  );
}

/** The findings a pack reports when acknowledgements are ignored. */
function rawFindings(scope: IConstruct, pack: NagPack): { rule: string; path: string }[] {
  // Test-only: see what each acknowledgement hides.
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack.validateScope(scope).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      rule: violation.ruleName,
      path: resource.constructPath ?? "",
    })),
  );
}

function acknowledgements(scope: IConstruct): { id: string; reason: string; path: string }[] {
  return scope.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          id: id.replace(/^annotation::/i, ""),
          reason: String(
            typeof reason === "object" && reason !== null ? (reason as { reason: string }).reason : reason,
          ),
          path: construct.node.path,
        })),
      ),
  );
}

describe("cdk-nag AwsSolutions and Serverless packs", () => {
  it.each([
    ["default settings", {}],
    ["every optional part switched on", FULL_CONTEXT],
  ])("report no unacknowledged finding on the stack with %s", (_name, context) => {
    const { stack } = synthesizeHookwatch(context);

    const unacknowledged = packs().flatMap((pack) => findings(stack, pack));

    expect(unacknowledged).toEqual([]);
  });

  it("acknowledge only real findings, each with its reason", () => {
    const { stack } = synthesizeHookwatch(FULL_CONTEXT);
    const raw = packs().flatMap((pack) => rawFindings(stack, pack));

    const acks = acknowledgements(stack);

    expect(acks.length).toBeGreaterThan(5);
    for (const ack of acks) {
      expect(ack.reason.length, `${ack.id} at ${ack.path} needs a reason`).toBeGreaterThan(40);
      const hidden = raw.filter((finding) => finding.rule === ack.id && finding.path.startsWith(ack.path));
      expect(hidden, `${ack.id} at ${ack.path} acknowledges nothing`).not.toEqual([]);
    }
  });

  it("pass the app exactly as `cdk synth` wires them", () => {
    const app = new App({ context: { appIds: TEST_APP_IDS, "aws:cdk:bundling-stacks": [] } });
    new HookwatchStack(app, "Hookwatch");
    addNagChecks(app);

    expect(() => app.synth()).not.toThrow();
  });

  it("fail synthesis when a construct breaks a rule and nobody acknowledged it", () => {
    const app = new App();
    const stack = new Stack(app, "Throwaway");
    new Queue(stack, "Careless", { encryption: QueueEncryption.UNENCRYPTED });
    addNagChecks(app);

    expect(() => app.synth()).toThrow(/AwsSolutions-SQS4|Serverless-SQSRedrivePolicy/);
    const report = packs().flatMap((pack) => findings(stack, pack));
    expect(report).toEqual(
      expect.arrayContaining([
        "AwsSolutions-SQS3 at Throwaway/Careless/Resource",
        "AwsSolutions-SQS4 at Throwaway/Careless/Resource",
        "Serverless-SQSRedrivePolicy at Throwaway/Careless/Resource",
      ]),
    );
  });

  it("stop reporting a finding once it is acknowledged with a reason", () => {
    const stack = new Stack(new App(), "Throwaway");
    const queue = new Queue(stack, "Careful", { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });

    Validations.of(queue).acknowledge(
      { id: "AwsSolutions-SQS3", reason: "a test queue that is its own dead end" },
      { id: "Serverless-SQSRedrivePolicy", reason: "a test queue that is its own dead end" },
    );

    expect(packs().flatMap((pack) => findings(stack, pack))).toEqual([]);
  });
});
