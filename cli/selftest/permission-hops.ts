import { type EvaluationResult, GetRoleCommand, SimulatePrincipalPolicyCommand } from "@aws-sdk/client-iam";
import { GetTopicAttributesCommand } from "@aws-sdk/client-sns";
import { failed, type HopResult, notVerifiable, runHop, verified } from "./hop-result.js";
import { findStackResource, type SelftestTarget, type StackAccess } from "./selftest-target.js";

export const PERMISSION_HOPS = {
  processor: "permissions: processor may page",
  recovery: "permissions: recovery may page",
} as const;

/** Construct paths of the two functions' roles (`infra/processor-functions.ts`, `infra/hookwatch-function.ts`). */
const ROLE_PATHS: Record<keyof typeof PERMISSION_HOPS, string> = {
  processor: "FunctionsProcessorRole",
  recovery: "FunctionsRecoveryRole",
};

/** What publishing to a KMS-encrypted topic takes: SNS asks KMS for a data key, and decrypts it. */
const KMS_ACTIONS = ["kms:GenerateDataKey", "kms:Decrypt"] as const;

const FIX =
  "the role needs sns:Publish on the paging topic and kms:GenerateDataKey*/kms:Decrypt on its key (the topic's grantPublish writes both): redeploy the current version, and check SCPs and permission boundaries";

/**
 * Whether the processor and the recovery function may publish pages: IAM's policy simulator over each
 * function's role, for sns:Publish on the paging topic and the KMS actions on the topic's key.
 */
export async function checkPagingPermissions(target: SelftestTarget): Promise<HopResult[]> {
  const { stack } = target;
  const names = Object.keys(PERMISSION_HOPS) as (keyof typeof PERMISSION_HOPS)[];
  if (stack === undefined) {
    return names.map((name) =>
      notVerifiable(
        PERMISSION_HOPS[name],
        "the local SNS stand-in has no IAM and no KMS: it accepts every publish; run against the deployed stack",
      ),
    );
  }
  const results: HopResult[] = [];
  for (const name of names) {
    results.push(...(await runHop(PERMISSION_HOPS[name], FIX, () => checkRole(target, stack, name))));
  }
  return results;
}

async function checkRole(
  target: SelftestTarget,
  stack: StackAccess,
  name: keyof typeof PERMISSION_HOPS,
): Promise<HopResult> {
  const hop = PERMISSION_HOPS[name];
  const topicArn = target.pagingTopicArn;
  if (topicArn === undefined) {
    return failed(hop, `stack ${stack.stackName} has no PagingTopicArn output`, "deploy the current version");
  }
  const roleName = findStackResource(await stack.listResources(), "AWS::IAM::Role", ROLE_PATHS[name]);
  if (roleName === undefined) {
    return failed(
      hop,
      `stack ${stack.stackName} has no ${name} role (${ROLE_PATHS[name]}…)`,
      "deploy the current version",
    );
  }
  const { Role } = await stack.iam.send(new GetRoleCommand({ RoleName: roleName }));
  const roleArn = Role?.Arn;
  if (roleArn === undefined) return failed(hop, `IAM returned no ARN for role ${roleName}`, FIX);

  const key = await topicKeyArn(target, topicArn);
  const checks = [
    ...(await simulate(stack, roleArn, ["sns:Publish"], topicArn)),
    ...(key.arn === undefined ? [] : await simulate(stack, roleArn, [...KMS_ACTIONS], key.arn)),
  ];
  const denied = checks.filter((result) => result.EvalDecision !== "allowed");
  if (denied.length > 0) {
    const list = denied
      .map((result) => `${result.EvalActionName} ${result.EvalDecision}${why(result)}`)
      .join(", ");
    return failed(hop, `role ${roleName}: ${list}`, FIX);
  }
  const allowed =
    key.arn === undefined ? "sns:Publish" : `sns:Publish and ${KMS_ACTIONS.join(", ")} on key ${key.arn}`;
  return verified(
    hop,
    `role ${roleName} may ${allowed} (IAM policy simulation of its own policies${key.note}; the key policy is not simulated: IAM's simulator takes a resource policy only for IAM users, and the stack's key policy lets the account's IAM policies grant its use)`,
  );
}

/** The topic's KMS key as an ARN (SNS may report a key id or an alias), or why there is none to check. */
async function topicKeyArn(
  target: SelftestTarget,
  topicArn: string,
): Promise<{ arn?: string; note: string }> {
  const { Attributes = {} } = await target.sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
  const keyId = Attributes.KmsMasterKeyId;
  if (!keyId) return { note: "; the topic is not encrypted" };
  if (keyId.startsWith("arn:")) return { arn: keyId, note: "" };
  const [, partition, , region, account] = topicArn.split(":");
  if (keyId.startsWith("alias/")) {
    return {
      arn: `arn:${partition}:kms:${region}:${account}:${keyId}`,
      note: `; key named by alias ${keyId}`,
    };
  }
  return { arn: `arn:${partition}:kms:${region}:${account}:key/${keyId}`, note: "" };
}

async function simulate(
  stack: StackAccess,
  roleArn: string,
  actions: readonly string[],
  resourceArn: string,
): Promise<EvaluationResult[]> {
  const results: EvaluationResult[] = [];
  let marker: string | undefined;
  do {
    const page = await stack.iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: roleArn,
        ActionNames: [...actions],
        ResourceArns: [resourceArn],
        ...(marker ? { Marker: marker } : {}),
      }),
    );
    results.push(...(page.EvaluationResults ?? []));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return results;
}

/** Which layer denied, when the simulator says: an SCP or a permissions boundary. */
function why(result: EvaluationResult): string {
  if (result.OrganizationsDecisionDetail?.AllowedByOrganizations === false) return " (by an SCP)";
  if (result.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary === false) {
    return " (by the permissions boundary)";
  }
  return "";
}
