import { Stack, type StackProps } from "aws-cdk-lib";
import type { Construct } from "constructs";
import { EventTables } from "./event-tables.js";

export interface HookwatchStackProps extends StackProps {}

/** The whole pipeline: API Gateway → SQS → processor → DynamoDB and SNS, plus the recovery schedule. */
export class HookwatchStack extends Stack {
  readonly tables: EventTables;

  constructor(scope: Construct, id: string, props: HookwatchStackProps = {}) {
    super(scope, id, props);
    this.tables = new EventTables(this, "Tables");
  }
}
