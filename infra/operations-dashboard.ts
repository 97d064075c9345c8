import { Duration } from "aws-cdk-lib";
import type { Stage } from "aws-cdk-lib/aws-apigateway";
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  MathExpression,
} from "aws-cdk-lib/aws-cloudwatch";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRIC, METRICS_NAMESPACE } from "../lambdas/runtime/metric-names.js";
import { serviceMetric } from "./operations-alarms.js";

const PERIOD = Duration.minutes(5);

/** One line per hook and reason class, whatever hooks and classes have reported so far. */
export function eventsByHookAndReasonClass(metricName: string): MathExpression {
  return new MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},service,hook,reason_class} MetricName="${metricName}"', 'Sum', ${PERIOD.toSeconds()})`,
    label: "",
    period: PERIOD,
    usingMetrics: {},
  });
}

export interface OperationsDashboardProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly processor: IFunction;
  readonly recovery: IFunction;
  readonly apiStage: Stage;
  /** Shown as a status strip at the top. */
  readonly alarms: readonly IAlarm[];
}

/** One CloudWatch dashboard: events by hook and reason class, pages, duplicates, rejections, plumbing. */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const graph = (title: string, left: IMetric[], width = 8) =>
      new GraphWidget({ title, left, width, height: 6, period: PERIOD });

    this.dashboard = new Dashboard(this, "Dashboard", {
      defaultInterval: Duration.hours(3),
      widgets: [
        [new AlarmStatusWidget({ title: "Alarms", alarms: [...props.alarms], width: 24, height: 3 })],
        [
          graph("Events stored, by hook and reason class", [eventsByHookAndReasonClass(METRIC.eventsStored)]),
          graph("Duplicate events (redeliveries)", [eventsByHookAndReasonClass(METRIC.eventsDuplicate)]),
          graph("Conflicting events (same key, other content)", [
            eventsByHookAndReasonClass(METRIC.eventsConflict),
          ]),
        ],
        [
          graph("Invalid events (quarantined)", [eventsByHookAndReasonClass(METRIC.eventsInvalid)]),
          graph("Unknown event types or reasons (kept)", [eventsByHookAndReasonClass(METRIC.eventsUnknown)]),
          graph("Pages and resolves published", [
            serviceMetric(METRIC.pagesPublished),
            serviceMetric(METRIC.resolvesPublished),
          ]),
        ],
        [
          graph("Rejected and quarantined webhooks", [
            serviceMetric(METRIC.messagesRejected),
            serviceMetric(METRIC.messagesQuarantined),
          ]),
          graph("Webhook endpoint", [
            props.apiStage.metricCount({ period: PERIOD }),
            props.apiStage.metricClientError({ period: PERIOD }),
            props.apiStage.metricServerError({ period: PERIOD }),
          ]),
          graph("Queue", [
            props.queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: "Maximum" }),
            props.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: "Maximum" }),
            props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              period: PERIOD,
              statistic: "Maximum",
              label: "Dead-letter queue depth",
            }),
          ]),
        ],
        [
          graph(
            "Processor",
            [
              props.processor.metricInvocations({ period: PERIOD }),
              props.processor.metricErrors({ period: PERIOD }),
              props.processor.metricThrottles({ period: PERIOD }),
            ],
            12,
          ),
          graph(
            "Recovery",
            [
              props.recovery.metricInvocations({ period: PERIOD }),
              props.recovery.metricErrors({ period: PERIOD }),
            ],
            12,
          ),
        ],
      ],
    });
  }
}
