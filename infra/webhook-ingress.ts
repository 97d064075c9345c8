import { Aws, Duration, Validations } from "aws-cdk-lib";
import {
  AccessLogField,
  AccessLogFormat,
  AuthorizationType,
  AwsIntegration,
  EndpointType,
  JsonSchemaType,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  type Method,
  PassthroughBehavior,
  RestApi,
} from "aws-cdk-lib/aws-apigateway";
import type { Metric } from "aws-cdk-lib/aws-cloudwatch";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { FilterPattern, LogGroup, MetricFilter, type RetentionDays } from "aws-cdk-lib/aws-logs";
import type { IQueue } from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRIC, METRICS_NAMESPACE } from "../lambdas/runtime/metric-names.js";
import { WEBHOOK_HEADERS } from "../lambdas/webhook/webhook-message.js";
import { buildWebhookRequestTemplate } from "./webhook-request-template.js";

/** The path Prelude posts to, and where the local endpoint listens too. */
export const WEBHOOK_PATH = "webhook";

/**
 * The `Content-Type` values a webhook POST may carry, each mapped to the same request template
 * and body model. Prelude documents only "JSON". API Gateway selects the template whose key
 * "matches" the request's Content-Type (developerguide/integration-passthrough-behaviors.html)
 * without saying whether parameters or letter case take part in the match, so every spelling a
 * JSON client commonly sends is a key of its own; with `NEVER` passthrough, any other gets 415,
 * which the 4XX alarm reports (docs/guarantees.md, "Content types"). A request without the header
 * counts as `application/json`.
 */
export const WEBHOOK_CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json;charset=utf-8",
  "application/json; charset=UTF-8",
  "application/json;charset=UTF-8",
  "Application/JSON",
] as const;

export interface WebhookIngressProps {
  /** Where each POST is written, as one message. */
  readonly queue: IQueue;
  /** Answers the activation challenge (GET). */
  readonly challengeHandler: IFunction;
  /**
   * Refuse a POST without `X-Webhook-Signature` at the gateway.
   * @default true
   */
  readonly requireSignature?: boolean;
  /** Stage-wide throttling: steady requests per second and burst. */
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  /** Retention of the JSON access logs. */
  readonly logRetention: RetentionDays;
  /**
   * Name of the deployment stage (the first segment of the URL path).
   * @default "v1"
   */
  readonly stageName?: string;
}

/**
 * The public webhook endpoint: a REST API whose POST writes the request straight to SQS (no
 * Lambda in the path, so a burst of deliveries costs no cold starts) and whose GET answers
 * Prelude's activation challenge. No IAM or API key auth: Prelude cannot send them, so the
 * signature (verified by the processor) is what proves a request authentic.
 */
export class WebhookIngress extends Construct {
  readonly api: RestApi;
  readonly accessLogs: LogGroup;
  readonly postMethod: Method;
  readonly getMethod: Method;
  /** Webhook POSTs the gateway refused with a 4xx (from the access log), summed over 5 minutes. */
  readonly refusedPosts: Metric;

  constructor(scope: Construct, id: string, props: WebhookIngressProps) {
    super(scope, id);
    const { rateLimit, burstLimit } = props.throttling;
    if (!(rateLimit > 0 && burstLimit >= rateLimit)) {
      throw new Error(
        `WebhookIngress ${id}: throttling needs rateLimit > 0 and burstLimit >= rateLimit, got ${rateLimit}/${burstLimit}`,
      );
    }

    this.accessLogs = new LogGroup(this, "AccessLogs", { retention: props.logRetention });
    this.api = new RestApi(this, "Api", {
      description: "hookwatch: receives Prelude webhooks",
      endpointTypes: [EndpointType.REGIONAL],
      // The account-wide API Gateway logging role is a regional singleton this stack must not take over.
      cloudWatchRole: false,
      deployOptions: {
        stageName: props.stageName ?? "v1",
        throttlingRateLimit: rateLimit,
        throttlingBurstLimit: burstLimit,
        tracingEnabled: true,
        accessLogDestination: new LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat(),
      },
    });
    this.refusedPosts = this.countRefusedPosts();
    const resource = this.api.root.addResource(WEBHOOK_PATH);
    this.postMethod = resource.addMethod("POST", this.sendMessageIntegration(props.queue), {
      authorizationType: AuthorizationType.NONE,
      requestValidator: this.api.addRequestValidator("BodyAndHeaders", {
        validateRequestBody: true,
        validateRequestParameters: true,
      }),
      requestModels: forEachContentType(
        this.api.addModel("WebhookBody", {
          contentType: "application/json",
          description: "Any non-empty JSON object; the processor validates the events inside",
          schema: { schema: JsonSchemaVersion.DRAFT4, type: JsonSchemaType.OBJECT, minProperties: 1 },
        }),
      ),
      requestParameters: {
        [`method.request.header.${WEBHOOK_HEADERS.signature}`]: props.requireSignature ?? true,
      },
      methodResponses: [{ statusCode: "200" }, { statusCode: "400" }, { statusCode: "500" }],
    });
    this.getMethod = resource.addMethod("GET", new LambdaIntegration(props.challengeHandler), {
      authorizationType: AuthorizationType.NONE,
    });

    for (const method of [this.postMethod, this.getMethod]) {
      Validations.of(method).acknowledge(
        {
          id: "AwsSolutions-APIG4",
          reason:
            "Prelude cannot send IAM, API key or token credentials; a POST is authenticated by its X-Webhook-Signature (verified by the processor), a GET by the verification token.",
        },
        {
          id: "AwsSolutions-COG4",
          reason: "The caller is Prelude's webhook sender, not a Cognito user; see AwsSolutions-APIG4.",
        },
      );
    }
    Validations.of(this.api.deploymentStage).acknowledge(
      {
        id: "AwsSolutions-APIG3",
        reason:
          "Prelude publishes no source IP ranges to allow-list, and the stage is throttled and authenticated by signature; attach a WAF web ACL to the stage if your organisation requires one.",
      },
      {
        id: "AwsSolutions-APIG6",
        reason:
          "Execution logging needs the account-wide API Gateway CloudWatch role (a regional singleton shared with other stacks); JSON access logs record status, integration status and error message of every request instead.",
      },
    );
  }

  /** The URL to register with Prelude. */
  get webhookUrl(): string {
    return this.api.urlForPath(`/${WEBHOOK_PATH}`);
  }

  private sendMessageIntegration(queue: IQueue): AwsIntegration {
    const role = new Role(this, "SendMessageRole", {
      assumedBy: new ServicePrincipal("apigateway.amazonaws.com"),
      description: "Lets API Gateway write webhook POSTs to the hookwatch queue",
    });
    queue.grantSendMessages(role);
    const json = (body: string) => ({ "application/json": body });
    return new AwsIntegration({
      service: "sqs",
      path: `${Aws.ACCOUNT_ID}/${queue.queueName}`,
      integrationHttpMethod: "POST",
      options: {
        credentialsRole: role,
        // Anything but JSON gets 415 Unsupported Media Type instead of reaching the queue.
        passthroughBehavior: PassthroughBehavior.NEVER,
        requestParameters: {
          "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'",
        },
        requestTemplates: forEachContentType(buildWebhookRequestTemplate()),
        integrationResponses: [
          // Exactly 200: Prelude treats any other status, even 202, as a failed delivery.
          { selectionPattern: "2\\d{2}", statusCode: "200", responseTemplates: json(responseBody("queued")) },
          // SQS refuses an empty body or one over its size limit; retrying the same body cannot help.
          {
            selectionPattern: "400",
            statusCode: "400",
            responseTemplates: json(responseBody("the body is empty or larger than SQS accepts")),
          },
          // Anything else (throttling, permissions, an SQS outage): Prelude retries later.
          { statusCode: "500", responseTemplates: json(responseBody("could not queue the webhook")) },
        ],
      },
    });
  }

  /**
   * Counts only POSTs to the webhook path: the stage's own 4XXError also counts scanners probing
   * other paths and wrong activation tokens (GET 403), which would make an alarm on it cry wolf.
   * The access log's `status` is a string, so `4*` matches every 4xx.
   */
  private countRefusedPosts(): Metric {
    const filter = new MetricFilter(this, "RefusedPosts", {
      logGroup: this.accessLogs,
      metricNamespace: METRICS_NAMESPACE,
      metricName: METRIC.webhookPostsRefused,
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue("$.httpMethod", "=", "POST"),
        FilterPattern.stringValue("$.resourcePath", "=", `/${WEBHOOK_PATH}`),
        FilterPattern.stringValue("$.status", "=", "4*"),
      ),
      metricValue: "1",
    });
    return filter.metric({ statistic: "Sum", period: Duration.minutes(5) });
  }
}

function forEachContentType<T>(value: T): Record<string, T> {
  return Object.fromEntries(WEBHOOK_CONTENT_TYPES.map((contentType) => [contentType, value]));
}

function responseBody(message: string): string {
  return `{"message": "${message}", "request_id": "$context.requestId"}`;
}

/**
 * One JSON object per request, saying why a refused one was refused: the gateway's response type
 * and message (`UNSUPPORTED_MEDIA_TYPE`, `BAD_REQUEST_BODY`…), the model validation error, and SQS's
 * status when SQS refused the message (developerguide/api-gateway-variables-for-access-logging.html).
 * No query string: the activation GET carries the verification token.
 */
function accessLogFormat(): AccessLogFormat {
  return AccessLogFormat.custom(
    JSON.stringify({
      requestId: AccessLogField.contextRequestId(),
      requestTime: AccessLogField.contextRequestTime(),
      sourceIp: AccessLogField.contextIdentitySourceIp(),
      userAgent: AccessLogField.contextIdentityUserAgent(),
      httpMethod: AccessLogField.contextHttpMethod(),
      resourcePath: AccessLogField.contextResourcePath(),
      status: AccessLogField.contextStatus(),
      responseLength: AccessLogField.contextResponseLength(),
      responseLatency: AccessLogField.contextResponseLatency(),
      integrationStatus: AccessLogField.contextIntegrationStatus(),
      integrationLatency: AccessLogField.contextIntegrationLatency(),
      integrationError: AccessLogField.contextIntegrationErrorMessage(),
      errorType: AccessLogField.contextErrorResponseType(),
      errorMessage: AccessLogField.contextErrorMessage(),
      validationError: AccessLogField.contextErrorValidationErrorString(),
      xrayTraceId: AccessLogField.contextXrayTraceId(),
    }),
  );
}
