import { type App, CfnResource, Stack, Validations } from "aws-cdk-lib";
import type { ITable } from "aws-cdk-lib/aws-dynamodb";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import type { IConstruct } from "constructs";

/** cdk-nag's AwsSolutions and Serverless packs: any unacknowledged finding fails `cdk synth`. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}

/**
 * Acknowledges the `<table>/index/*` resource that a table's `grant*` methods write. The finding
 * id names the table's logical id, so it is computed here rather than written out.
 */
export function acknowledgeIndexWildcard(scope: IConstruct, table: ITable, reason: string): void {
  const resource = table.node.defaultChild;
  if (!CfnResource.isCfnResource(resource)) throw new Error(`${table.node.path} has no CloudFormation table`);
  const stack = Stack.of(resource);
  const logicalId = stack.resolve(stack.getLogicalId(resource)) as string;
  Validations.of(scope).acknowledge({
    id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
    reason,
  });
}
