import { RemovalPolicy } from "aws-cdk-lib";
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Construct } from "constructs";
import { BY_HOOK_PROJECTION, EVENTS_TABLE, STATE_TABLE } from "../lambdas/runtime/table-model.js";

export interface EventTablesProps {
  /**
   * What happens to the tables when the stack is deleted. Events are the record of an incident.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The events table (one item per Prelude event, keyed by `dispatch_id`) and the state table
 * (bursts, burst candidates, rejected and quarantined input, conflicts). On demand, encrypted,
 * point-in-time recovery, TTL on `expires_at`.
 */
export class EventTables extends Construct {
  readonly events: Table;
  readonly state: Table;

  constructor(scope: Construct, id: string, props: EventTablesProps = {}) {
    super(scope, id);
    const common = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    };

    this.events = new Table(this, "Events", {
      ...common,
      partitionKey: { name: EVENTS_TABLE.partitionKey, type: AttributeType.STRING },
      timeToLiveAttribute: EVENTS_TABLE.ttlAttribute,
    });
    this.events.addGlobalSecondaryIndex({
      indexName: EVENTS_TABLE.byHookIndex.name,
      partitionKey: { name: EVENTS_TABLE.byHookIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: EVENTS_TABLE.byHookIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...BY_HOOK_PROJECTION],
    });

    this.state = new Table(this, "State", {
      ...common,
      partitionKey: { name: STATE_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: STATE_TABLE.sortKey, type: AttributeType.STRING },
      timeToLiveAttribute: STATE_TABLE.ttlAttribute,
    });
    this.state.addGlobalSecondaryIndex({
      indexName: STATE_TABLE.openBurstsIndex.name,
      partitionKey: { name: STATE_TABLE.openBurstsIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: STATE_TABLE.openBurstsIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }
}
