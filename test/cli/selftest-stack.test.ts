import {
  CloudFormationClient,
  DescribeStacksCommand,
  ListStackResourcesCommand,
  type StackResourceSummary,
} from "@aws-sdk/client-cloudformation";
import { CloudWatchClient, DescribeAlarmsCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { GetRoleCommand, IAMClient, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { GetTopicAttributesCommand, SNSClient } from "@aws-sdk/client-sns";
import { SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Resources } from "../../cli/resources.js";
import { checkAlarms, HEALTH_HOPS } from "../../cli/selftest/health-hops.js";
import { checkPagingPermissions, PERMISSION_HOPS } from "../../cli/selftest/permission-hops.js";
import { PROBE_KEY_ID_PREFIX } from "../../cli/selftest/probe-request.js";
import {
  discoverSelftestTarget,
  type SelftestTarget,
  secretArnOf,
} from "../../cli/selftest/selftest-target.js";
import { recordRejected } from "../../lambdas/webhook/intake-records.js";
import { synthesizeStackTemplate } from "../../local/stack-template.js";
import { createTestTables, localDynamoDb } from "../helpers/test-tables.js";

/*
 * The hops only a deployed stack has (IAM, KMS, CloudWatch, Secrets Manager): none of these services has a
 * local emulator, so their APIs are answered by doubles at the SDK boundary, with the logical ids of the
 * stack as it synthesizes today. What the real services answer is not proven here: only a run against a
 * deployed stack does that.
 */

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const TOPIC_ARN = `arn:aws:sns:${REGION}:${ACCOUNT}:Hookwatch-TopicsPaging`;
const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const SECRET_ARN = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:ChallengeVerificationToken-AbCdEf`;
const NOW = Date.parse("2026-11-20T10:00:00Z");

type Template = { Resources: Record<string, { Type: string }>; Outputs: Record<string, { Value: unknown }> };
let template: Template;
let stackResources: StackResourceSummary[];
const cloudFormation = mockClient(CloudFormationClient);
const iam = mockClient(IAMClient);
const sns = mockClient(SNSClient);
const cloudWatch = mockClient(CloudWatchClient);
const secrets = mockClient(SecretsManagerClient);
const dynamodb = localDynamoDb();
let tables: { events: string; state: string };

beforeAll(async () => {
  template = synthesizeStackTemplate() as unknown as Template;
  // Every resource of the stack as ListStackResources lists it: the synthesized logical ids, made-up physical ids.
  stackResources = Object.entries(template.Resources).map(([logicalId, resource]) => ({
    LogicalResourceId: logicalId,
    PhysicalResourceId: `Hookwatch-${logicalId}`,
    ResourceType: resource.Type,
    ResourceStatus: "CREATE_COMPLETE",
    LastUpdatedTimestamp: new Date(NOW),
  }));
  tables = await createTestTables(dynamodb);
});

afterAll(() => {
  dynamodb.destroy();
  for (const mock of [cloudFormation, iam, sns, cloudWatch, secrets]) mock.restore();
});

beforeEach(() => {
  for (const mock of [cloudFormation, iam, sns, cloudWatch, secrets]) mock.reset();
  cloudFormation.on(DescribeStacksCommand, { StackName: "Hookwatch" }).resolves({
    Stacks: [
      {
        StackName: "Hookwatch",
        CreationTime: new Date(NOW),
        StackStatus: "CREATE_COMPLETE",
        Outputs: [
          {
            OutputKey: "WebhookUrl",
            OutputValue: "https://abc123.execute-api.eu-west-1.amazonaws.com/v1/webhook",
          },
          { OutputKey: "PagingTopicArn", OutputValue: TOPIC_ARN },
          {
            OutputKey: "VerificationTokenCommand",
            OutputValue: `aws secretsmanager get-secret-value --region ${REGION} --secret-id ${SECRET_ARN} --query SecretString --output text`,
          },
        ],
      },
    ],
  });
  cloudFormation.on(ListStackResourcesCommand).resolves({ StackResourceSummaries: stackResources });
  sns
    .on(GetTopicAttributesCommand, { TopicArn: TOPIC_ARN })
    .resolves({ Attributes: { KmsMasterKeyId: KEY_ARN } });
  iam.on(GetRoleCommand).callsFake((input: { RoleName: string }) => ({
    Role: {
      RoleName: input.RoleName,
      Arn: `arn:aws:iam::${ACCOUNT}:role/${input.RoleName}`,
      Path: "/",
      RoleId: "AROAEXAMPLE",
      CreateDate: new Date(NOW),
    },
  }));
});

function resources(): Resources {
  return {
    origin: `stack Hookwatch (${REGION})`,
    local: false,
    selector: "",
    dynamodb,
    sqs: new SQSClient({}),
    eventsTableName: tables.events,
    stateTableName: tables.state,
    deadLetterQueueUrl: "https://sqs.eu-west-1.amazonaws.com/111122223333/dlq",
    queueUrl: async () => "https://sqs.eu-west-1.amazonaws.com/111122223333/queue",
    deliveries: [],
    appIds: ["app_one"],
  };
}

async function stackTarget(): Promise<SelftestTarget> {
  return discoverSelftestTarget({
    resources: resources(),
    appId: "app_one",
    stackName: "Hookwatch",
    cwd: "/",
  });
}

const logicalId = (prefix: string) => {
  const id = Object.keys(template.Resources).find((candidate) =>
    new RegExp(`^${prefix}[0-9A-F]{8}$`).test(candidate),
  );
  if (id === undefined) throw new Error(`the synthesized stack has no ${prefix}…`);
  return id;
};

describe("the self-test's stack target", () => {
  it("reads the webhook URL, the paging topic and the token from the secret the stack's output names", async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: "the-token" });
    const target = await stackTarget();

    expect(target.webhookUrl).toBe("https://abc123.execute-api.eu-west-1.amazonaws.com/v1/webhook");
    expect(target.pagingTopicArn).toBe(TOPIC_ARN);
    expect(await target.readVerificationToken()).toBe("the-token");
    expect(target.tokenSource).toBe(`secret ${SECRET_ARN}`);
    target.close();
  });

  it("finds the secret ARN in the VerificationTokenCommand output as the stack synthesizes it", () => {
    const value = template.Outputs.VerificationTokenCommand?.Value as { "Fn::Join": [string, unknown[]] };
    const [separator, parts] = value["Fn::Join"];
    const resolved = parts
      .map((part) =>
        typeof part === "string"
          ? part
          : (part as { Ref?: string }).Ref === "AWS::Region"
            ? REGION
            : SECRET_ARN,
      )
      .join(separator);

    expect(secretArnOf(resolved)).toBe(SECRET_ARN);
    expect(secretArnOf("aws secretsmanager list-secrets")).toBeUndefined();
  });
});

describe("permissions: the functions may page", () => {
  const processorRole = () => `Hookwatch-${logicalId("FunctionsProcessorRole")}`;
  const recoveryRole = () => `Hookwatch-${logicalId("FunctionsRecoveryRole")}`;

  it("is verified for each function when the simulator allows sns:Publish on the topic and the KMS actions on its key", async () => {
    iam
      .on(SimulatePrincipalPolicyCommand)
      .callsFake((input: { ActionNames: string[]; ResourceArns: string[] }) => ({
        EvaluationResults: input.ActionNames.map((action) => ({
          EvalActionName: action,
          EvalResourceName: input.ResourceArns[0],
          EvalDecision: "allowed",
        })),
      }));
    const target = await stackTarget();

    const results = await checkPagingPermissions(target);

    expect(results.map((result) => [result.hop, result.verdict])).toEqual([
      [PERMISSION_HOPS.processor, "verified"],
      [PERMISSION_HOPS.recovery, "verified"],
    ]);
    const calls = iam.commandCalls(SimulatePrincipalPolicyCommand).map((call) => call.args[0].input);
    expect(calls).toContainEqual({
      PolicySourceArn: `arn:aws:iam::${ACCOUNT}:role/${processorRole()}`,
      ActionNames: ["sns:Publish"],
      ResourceArns: [TOPIC_ARN],
    });
    expect(calls).toContainEqual({
      PolicySourceArn: `arn:aws:iam::${ACCOUNT}:role/${recoveryRole()}`,
      ActionNames: ["kms:GenerateDataKey", "kms:Decrypt"],
      ResourceArns: [KEY_ARN],
    });
    expect(results[0]?.detail).toContain(`on key ${KEY_ARN}`);
    expect(results[0]?.detail).toContain("the key policy is not simulated");
    target.close();
  });

  it("fails the function whose role may not use the topic's key, naming the action and who denied it", async () => {
    iam
      .on(SimulatePrincipalPolicyCommand)
      .callsFake((input: { PolicySourceArn: string; ActionNames: string[] }) => ({
        EvaluationResults: input.ActionNames.map((action) => {
          const denied = input.PolicySourceArn.endsWith(recoveryRole()) && action === "kms:Decrypt";
          return {
            EvalActionName: action,
            EvalDecision: denied ? "implicitDeny" : "allowed",
            ...(denied ? { OrganizationsDecisionDetail: { AllowedByOrganizations: false } } : {}),
          };
        }),
      }));
    const target = await stackTarget();

    const results = await checkPagingPermissions(target);

    expect(results[0]).toMatchObject({ hop: PERMISSION_HOPS.processor, verdict: "verified" });
    expect(results[1]).toMatchObject({
      hop: PERMISSION_HOPS.recovery,
      verdict: "failed",
      detail: `role ${recoveryRole()}: kms:Decrypt implicitDeny (by an SCP)`,
      fix: expect.stringContaining("kms:GenerateDataKey*/kms:Decrypt"),
    });
    target.close();
  });

  it("is not verifiable, and says why, when the caller may not run the simulator", async () => {
    iam.on(SimulatePrincipalPolicyCommand).rejects(
      Object.assign(new Error("not authorized to perform: iam:SimulatePrincipalPolicy"), {
        name: "AccessDenied",
      }),
    );
    const target = await stackTarget();

    const results = await checkPagingPermissions(target);

    expect(results.map((result) => result.verdict)).toEqual(["not_verifiable", "not_verifiable"]);
    expect(results[0]?.detail).toContain("iam:SimulatePrincipalPolicy");
    target.close();
  });
});

describe("alarms: every alarm of the stack OK", () => {
  const alarm = (logical: string, state: MetricAlarm["StateValue"]): MetricAlarm => ({
    AlarmName: `Hookwatch-${logicalId(logical)}`,
    StateValue: state,
    AlarmDescription: `What to do about ${logical}.`,
    StateUpdatedTimestamp: new Date(NOW - 60_000),
  });
  const answer = (alarms: MetricAlarm[]) =>
    cloudWatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: alarms });
  const everyAlarm = () =>
    Object.keys(template.Resources)
      .filter((id) => template.Resources[id]?.Type === "AWS::CloudWatch::Alarm")
      .map((id) => id.replace(/[0-9A-F]{8}$/, ""));

  it("is verified when no alarm of the stack is in ALARM, and asks for exactly the stack's alarms", async () => {
    answer(everyAlarm().map((name) => alarm(name, "OK")));
    const target = await stackTarget();

    const result = await checkAlarms(target, NOW);

    expect(result).toMatchObject({ hop: HEALTH_HOPS.alarms, verdict: "verified" });
    expect(result.detail).toBe(`${everyAlarm().length} alarms, none in ALARM`);
    const asked = cloudWatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input.AlarmNames;
    expect(asked).toHaveLength(everyAlarm().length);
    target.close();
  });

  it("fails with each firing alarm's own description as the fix", async () => {
    answer([alarm("AlarmsDeadLetterQueueDepth", "ALARM"), alarm("AlarmsProcessorErrors", "OK")]);
    const target = await stackTarget();

    const result = await checkAlarms(target, NOW);

    expect(result).toMatchObject({
      verdict: "failed",
      detail: `1 of 2 in ALARM: Hookwatch-${logicalId("AlarmsDeadLetterQueueDepth")}`,
      fix: "What to do about AlarmsDeadLetterQueueDepth.",
    });
    target.close();
  });

  it("is not verifiable while alarms have no data yet, as right after a deploy", async () => {
    answer([alarm("AlarmsApi5xx", "INSUFFICIENT_DATA"), alarm("AlarmsProcessorErrors", "OK")]);
    const target = await stackTarget();

    const result = await checkAlarms(target, NOW);

    expect(result.verdict).toBe("not_verifiable");
    expect(result.detail).toContain("INSUFFICIENT_DATA");
    target.close();
  });

  it("does not fail on MessagesRejected raised by an earlier selftest's probes alone, but does when a real rejection is among them", async () => {
    const intake = {
      client: dynamodb,
      stateTableName: tables.state,
      quarantineRetentionDays: 30,
      rejectedRetentionDays: 7,
    };
    await recordRejected(
      intake,
      { requestId: "probe-1", receivedAt: NOW - 120_000 },
      {
        reason: `unknown key id "${PROBE_KEY_ID_PREFIX}20261120T095800-abcdef": not in the JWKS of app "app_one"`,
        body: "{}",
      },
    );
    answer([alarm("AlarmsMessagesRejected", "ALARM")]);
    const target = await stackTarget();

    const explained = await checkAlarms(target, NOW);

    expect(explained.verdict).toBe("verified");
    expect(explained.detail).toContain("from an earlier selftest's probes only");

    await recordRejected(
      intake,
      { requestId: "forged-1", receivedAt: NOW - 90_000 },
      {
        reason: 'RSASSA-PSS signature does not verify with key "k1" of app "app_one"',
        body: "{}",
      },
    );
    const real = await checkAlarms(target, NOW);

    expect(real.verdict).toBe("failed");
    target.close();
  });
  it("fails on Api4xx even right after a selftest, whose wrong-token GET the alarm does not count", async () => {
    // The previous test left a probe's rejected record at NOW - 120 s: a selftest ran then.
    answer([alarm("AlarmsApi4xx", "ALARM"), alarm("AlarmsProcessorErrors", "OK")]);
    const target = await stackTarget();

    const afterSelftest = await checkAlarms(target, NOW);

    expect(afterSelftest).toMatchObject({ verdict: "failed", fix: "What to do about AlarmsApi4xx." });
    target.close();
  });
});
