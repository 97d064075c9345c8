import type { CfnElement } from "aws-cdk-lib";
import { Match } from "aws-cdk-lib/assertions";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import { beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_CONTENT_TYPES } from "../../infra/webhook-ingress.js";
import { buildWebhookRequestTemplate } from "../../infra/webhook-request-template.js";
import { loadConfig } from "../../lambdas/runtime/config.js";
import { METRIC, METRICS_NAMESPACE, SERVICE_NAME } from "../../lambdas/runtime/metric-names.js";
import { WEBHOOK_HEADERS } from "../../lambdas/webhook/webhook-message.js";
import { onlyResource, synthesizeHookwatch } from "./synthesize.js";

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hookwatch/token-AbC123";
const HMAC_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:hookwatch/hmac-XyZ789";

describe("the synthesized stack with default settings", () => {
  let built: ReturnType<typeof synthesizeHookwatch>;
  beforeAll(() => {
    built = synthesizeHookwatch();
  });

  const ref = (value: string) => built.stack.resolve(value) as unknown;
  const methods = (httpMethod: string) =>
    Object.values(
      built.template.findResources("AWS::ApiGateway::Method", { Properties: { HttpMethod: httpMethod } }),
    );
  const onlyMethod = (httpMethod: string): Resource => {
    const found = methods(httpMethod) as Resource[];
    expect(found).toHaveLength(1);
    return found[0] as Resource;
  };
  const statementsOf = (fn: IFunction): Statement[] => {
    const roleArn = built.stack.resolve(fn.role?.roleArn) as { "Fn::GetAtt": [string, string] };
    const roleRef = JSON.stringify({ Ref: roleArn["Fn::GetAtt"][0] });
    return (Object.values(built.template.findResources("AWS::IAM::Policy")) as Resource[])
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleRef))
      .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  };
  const actionsOn = (statements: Statement[], resource: unknown): string[] =>
    statements
      .filter((statement) => JSON.stringify(statement.Resource).includes(JSON.stringify(resource)))
      .flatMap((statement) => [statement.Action].flat());

  describe("ingress", () => {
    it("writes a POST straight to SQS through an AWS service integration, with no Lambda in the path", () => {
      const integration = onlyMethod("POST").Properties.Integration as Record<string, unknown>;

      expect(integration.Type).toBe("AWS");
      expect(JSON.stringify(integration.Uri)).toContain(":sqs:path/");
      expect(JSON.stringify(integration.Uri)).toContain(
        JSON.stringify(ref(built.stack.queue.queue.queueName)),
      );
      expect(integration.IntegrationHttpMethod).toBe("POST");
      expect(integration.RequestParameters).toEqual({
        "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'",
      });
    });

    it("maps the body and headers with the contract's request template, and refuses other content types", () => {
      built.template.hasResourceProperties("AWS::ApiGateway::Method", {
        HttpMethod: "POST",
        Integration: {
          PassthroughBehavior: "NEVER",
          RequestTemplates: { "application/json": buildWebhookRequestTemplate() },
        },
      });
      const templates = (onlyMethod("POST").Properties.Integration as { RequestTemplates: object })
        .RequestTemplates;
      expect(Object.keys(templates)).toEqual([...WEBHOOK_CONTENT_TYPES]);
    });

    it("maps and validates JSON with a charset parameter or in capitals the same way as application/json", () => {
      const method = onlyMethod("POST").Properties;
      const templates = (method.Integration as { RequestTemplates: Record<string, string> }).RequestTemplates;
      const models = method.RequestModels as Record<string, unknown>;

      for (const contentType of ["application/json; charset=utf-8", "Application/JSON"]) {
        expect(templates[contentType], contentType).toBe(buildWebhookRequestTemplate());
        expect(models[contentType], contentType).toEqual(models["application/json"]);
      }
      expect(Object.keys(models)).toEqual([...WEBHOOK_CONTENT_TYPES]);
    });

    it("answers a queued POST with exactly 200 and no other 2xx", () => {
      const responses = (
        onlyMethod("POST").Properties.Integration as { IntegrationResponses: Record<string, unknown>[] }
      ).IntegrationResponses;

      const success = responses.filter((response) => String(response.StatusCode).startsWith("2"));
      expect(success).toEqual([expect.objectContaining({ StatusCode: "200", SelectionPattern: "2\\d{2}" })]);
      // The default response (no selection pattern) is an error, so an unexpected SQS answer is never a 200.
      expect(responses.find((response) => response.SelectionPattern === undefined)?.StatusCode).toBe("500");
    });

    it("rejects at the gateway a POST without a JSON object body or without X-Webhook-Signature", () => {
      built.template.hasResourceProperties("AWS::ApiGateway::Method", {
        HttpMethod: "POST",
        RequestParameters: { [`method.request.header.${WEBHOOK_HEADERS.signature}`]: true },
        RequestValidatorId: Match.anyValue(),
        RequestModels: { "application/json": Match.anyValue() },
      });
      built.template.hasResourceProperties("AWS::ApiGateway::RequestValidator", {
        ValidateRequestBody: true,
        ValidateRequestParameters: true,
      });
      built.template.hasResourceProperties("AWS::ApiGateway::Model", {
        ContentType: "application/json",
        Schema: Match.objectLike({ type: "object", minProperties: 1 }),
      });
    });

    it("uses neither IAM, API keys nor authorizers, which Prelude cannot provide", () => {
      for (const method of [...methods("POST"), ...methods("GET")] as Resource[]) {
        expect(method.Properties.AuthorizationType).toBe("NONE");
        expect(method.Properties.ApiKeyRequired).not.toBe(true);
      }
      built.template.resourceCountIs("AWS::ApiGateway::Authorizer", 0);
      built.template.resourceCountIs("AWS::ApiGateway::ApiKey", 0);
    });

    it("throttles the stage and writes JSON access logs, without query strings, to a log group with a retention", () => {
      const stage = onlyResource(built.template, "AWS::ApiGateway::Stage");
      expect(stage.MethodSettings).toEqual([
        expect.objectContaining({
          HttpMethod: "*",
          ResourcePath: "/*",
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ]);
      expect(stage.TracingEnabled).toBe(true);
      const { DestinationArn, Format } = stage.AccessLogSetting as {
        DestinationArn: unknown;
        Format: string;
      };
      expect(DestinationArn).toEqual(ref(built.stack.ingress.accessLogs.logGroupArn));
      const fields = JSON.parse(Format) as Record<string, string>;
      expect(fields).toMatchObject({ requestId: "$context.requestId", status: "$context.status" });
      expect(Format).not.toMatch(/querystring|\$input|\$context\.path/i);
      built.template.hasResourceProperties("AWS::Logs::LogGroup", {
        LogGroupName: Match.absent(),
        RetentionInDays: 30,
      });
    });

    it("logs why the gateway refused a request: response type, message, validation error and SQS's status", () => {
      const stage = onlyResource(built.template, "AWS::ApiGateway::Stage");
      const fields = JSON.parse((stage.AccessLogSetting as { Format: string }).Format) as Record<
        string,
        string
      >;

      expect(Object.values(fields)).toEqual(
        expect.arrayContaining([
          "$context.status",
          "$context.error.responseType",
          "$context.error.message",
          "$context.error.validationErrorString",
          "$context.integrationStatus",
          "$context.integrationErrorMessage",
        ]),
      );
    });

    it("answers the activation GET with the challenge function", () => {
      const integration = onlyMethod("GET").Properties.Integration as { Type: string; Uri: unknown };
      expect(integration.Type).toBe("AWS_PROXY");
      expect(JSON.stringify(integration.Uri)).toContain(
        JSON.stringify(ref(built.stack.challenge.handler.function.functionArn)),
      );
    });
  });

  describe("activation challenge", () => {
    it("generates the verification token in Secrets Manager, never in the template", () => {
      const secret = onlyResource(built.template, "AWS::SecretsManager::Secret");
      const generate = secret.GenerateSecretString as { PasswordLength: number; ExcludePunctuation: boolean };
      expect(generate.PasswordLength).toBeLessThanOrEqual(100);
      expect(generate.ExcludePunctuation).toBe(true);
      expect(secret.SecretString).toBeUndefined();
      built.template.hasResourceProperties("AWS::Lambda::Function", {
        Environment: {
          Variables: Match.objectLike({
            VERIFICATION_TOKEN_SECRET_ARN: ref(built.stack.challenge.tokenSecret.secretArn),
            PRELUDE_APP_IDS: "app_one,app_two",
          }),
        },
      });
    });

    it("lets only the challenge function read the token", () => {
      const secretRef = ref(built.stack.challenge.tokenSecret.secretArn);
      const readers = Object.values(built.template.findResources("AWS::IAM::Policy")).filter((policy) =>
        JSON.stringify(policy).includes(JSON.stringify(secretRef)),
      );
      expect(readers).toHaveLength(1);
      expect(actionsOn(statementsOf(built.stack.challenge.handler.function), secretRef)).toContain(
        "secretsmanager:GetSecretValue",
      );
    });

    it("outputs the command that prints the token", () => {
      built.template.hasOutput("VerificationTokenCommand", {
        Value: Match.objectLike({
          "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp("aws secretsmanager get-secret-value")])],
        }),
      });
    });
  });

  describe("queue", () => {
    it("has a dead-letter queue after at least 5 receives and a visibility timeout of at least six function timeouts", () => {
      const queue = built.template.findResources("AWS::SQS::Queue", {
        Properties: { RedrivePolicy: Match.anyValue() },
      });
      const [main] = Object.values(queue) as Resource[];
      expect(Object.keys(queue)).toHaveLength(1);
      const redrive = main?.Properties.RedrivePolicy as {
        maxReceiveCount: number;
        deadLetterTargetArn: unknown;
      };
      expect(redrive.maxReceiveCount).toBeGreaterThanOrEqual(5);
      expect(redrive.deadLetterTargetArn).toEqual(ref(built.stack.queue.deadLetterQueue.queueArn));

      const processor = built.stack.resolve(built.stack.functions.processor.function.functionArn) as {
        "Fn::GetAtt": [string];
      };
      const timeout = (built.template.toJSON().Resources[processor["Fn::GetAtt"][0]] as Resource).Properties
        .Timeout as number;
      expect(main?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * timeout);
    });

    it("takes SQS's largest message, 1 MiB, on the queue and its dead-letter queue", () => {
      for (const queue of [built.stack.queue.queue, built.stack.queue.deadLetterQueue]) {
        const id = built.stack.getLogicalId(queue.node.defaultChild as CfnElement);
        const resource = built.template.toJSON().Resources[id] as Resource;
        expect(resource.Properties.MaximumMessageSize).toBe(1_048_576);
      }
    });

    it("encrypts every queue at rest and refuses requests without TLS", () => {
      const queues = built.template.findResources("AWS::SQS::Queue");
      expect(Object.keys(queues).length).toBeGreaterThanOrEqual(2);
      for (const queue of Object.values(queues) as Resource[]) {
        expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
      }
      const tlsDenials = Object.values(built.template.findResources("AWS::SQS::QueuePolicy")).filter(
        (policy) => JSON.stringify(policy).includes('"aws:SecureTransport":"false"'),
      );
      expect(tlsDenials).toHaveLength(Object.keys(queues).length);
    });
  });

  describe("processor and recovery", () => {
    it("run Node.js 24 on arm64 with tracing, source maps and their own log group with a retention", () => {
      const functions = Object.values(built.template.findResources("AWS::Lambda::Function")) as Resource[];
      expect(functions).toHaveLength(3);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: "nodejs24.x",
          Architectures: ["arm64"],
          Handler: "index.handler",
          TracingConfig: { Mode: "Active" },
          LoggingConfig: { LogGroup: expect.anything() },
          Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: "--enable-source-maps" }) },
        });
        expect(fn.Properties.MemorySize).toBeGreaterThanOrEqual(128);
      }
      const logGroups = Object.values(built.template.findResources("AWS::Logs::LogGroup")) as Resource[];
      expect(logGroups).toHaveLength(4);
      for (const group of logGroups) expect(group.Properties.RetentionInDays).toBe(30);
    });

    it("consumes the queue in batches of 10 with partial batch failures and a capped concurrency", () => {
      built.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: ref(built.stack.queue.queue.queueArn),
        FunctionName: ref(built.stack.functions.processor.function.functionName),
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        ScalingConfig: { MaximumConcurrency: 5 },
      });
    });

    it("share one environment that the Lambda configuration parser accepts as the settings given", () => {
      const envOf = (functionArn: string) => {
        const id = (built.stack.resolve(functionArn) as { "Fn::GetAtt": [string] })["Fn::GetAtt"][0];
        const fn = built.template.toJSON().Resources[id] as Resource;
        return (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      };
      const processorEnv = envOf(built.stack.functions.processor.function.functionArn);
      expect(envOf(built.stack.functions.recovery.function.functionArn)).toEqual(processorEnv);
      expect(processorEnv.EVENTS_TABLE_NAME).toEqual(ref(built.stack.tables.events.tableName));
      expect(processorEnv.STATE_TABLE_NAME).toEqual(ref(built.stack.tables.state.tableName));
      expect(processorEnv.PAGING_TOPIC_ARN).toEqual(ref(built.stack.topics.paging.topicArn));

      // Deployed values replace the CloudFormation references.
      const deployed = Object.fromEntries(
        Object.entries(processorEnv).map(([name, value]) => [
          name,
          typeof value === "string" ? value : `deployed-${name}`,
        ]),
      );
      const config = loadConfig(deployed);

      expect(config).toMatchObject({
        eventsTableName: "deployed-EVENTS_TABLE_NAME",
        appIds: ["app_one", "app_two"],
        signatureVerification: "on",
        jwksFetchTimeoutMs: 3000,
        eventRetentionDays: 30,
        rejectedRetentionDays: 7,
        burstRules: {
          migration: { threshold: 5, windowSeconds: 60, quietSeconds: 60 },
          "step-up": { threshold: 5, windowSeconds: 60, quietSeconds: 60 },
        },
      });
      expect(config.jwksUrlFor("app_one")).toBe("https://app_one.session.prelude.dev/.well-known/jwks.json");
      expect(config.hmacSecretArn).toBeUndefined();
      expect(processorEnv.POWERTOOLS_SERVICE_NAME).toBe(SERVICE_NAME);
      expect(processorEnv.POWERTOOLS_METRICS_NAMESPACE).toBe(METRICS_NAMESPACE);
    });

    it("grant the processor read/write on both tables and publish on the paging topic only", () => {
      const statements = statementsOf(built.stack.functions.processor.function);
      for (const table of [built.stack.tables.events, built.stack.tables.state]) {
        expect(actionsOn(statements, ref(table.tableArn))).toEqual(
          expect.arrayContaining(["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]),
        );
      }
      expect(actionsOn(statements, ref(built.stack.topics.paging.topicArn))).toEqual(["sns:Publish"]);
      expect(actionsOn(statements, ref(built.stack.topics.operations.topicArn))).toEqual([]);
      expect(
        statements.some((statement) => [statement.Action].flat().includes("secretsmanager:GetSecretValue")),
      ).toBe(false);
    });

    it("grant the recovery function read/write on the state table but only reads on the events table", () => {
      const statements = statementsOf(built.stack.functions.recovery.function);
      expect(actionsOn(statements, ref(built.stack.tables.state.tableArn))).toEqual(
        expect.arrayContaining(["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"]),
      );
      const onEvents = actionsOn(statements, ref(built.stack.tables.events.tableArn));
      expect(onEvents).toEqual(expect.arrayContaining(["dynamodb:Query", "dynamodb:GetItem"]));
      expect(onEvents).not.toContain("dynamodb:PutItem");
      expect(actionsOn(statements, ref(built.stack.topics.paging.topicArn))).toEqual(["sns:Publish"]);
    });

    it("use a wildcard resource only for X-Ray, which has no resource-level permissions", () => {
      const policies = Object.values(built.template.findResources("AWS::IAM::Policy")) as Resource[];
      const wildcards = policies
        .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
        .filter((statement) => statement.Resource === "*")
        .flatMap((statement) => [statement.Action].flat());
      expect(new Set(wildcards)).toEqual(new Set(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]));
      for (const role of Object.values(built.template.findResources("AWS::IAM::Role")) as Resource[]) {
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });

    it("run the recovery function every minute from an EventBridge rule, without async retries", () => {
      built.template.hasResourceProperties("AWS::Events::Rule", {
        ScheduleExpression: "rate(1 minute)",
        State: "ENABLED",
        Targets: [Match.objectLike({ Arn: ref(built.stack.functions.recovery.function.functionArn) })],
      });
      built.template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
        FunctionName: ref(built.stack.functions.recovery.function.functionName),
        MaximumRetryAttempts: 0,
      });
    });
  });

  describe("tables", () => {
    it("are on demand, encrypted, with point-in-time recovery and TTL, and retained on stack deletion", () => {
      const tables = Object.values(built.template.findResources("AWS::DynamoDB::Table")) as Resource[];
      expect(tables).toHaveLength(2);
      for (const table of tables) {
        expect(table.DeletionPolicy).toBe("Retain");
        expect(table.Properties).toMatchObject({
          BillingMode: "PAY_PER_REQUEST",
          SSESpecification: { SSEEnabled: true },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          TimeToLiveSpecification: { AttributeName: "expires_at", Enabled: true },
        });
      }
    });
  });

  describe("topics", () => {
    it("are two, both encrypted with a rotating customer managed key and TLS-only", () => {
      const topics = Object.values(built.template.findResources("AWS::SNS::Topic")) as Resource[];
      expect(topics).toHaveLength(2);
      for (const topic of topics) {
        expect(topic.Properties.KmsMasterKeyId).toEqual(ref(built.stack.topics.key.keyArn));
      }
      built.template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
      const tlsDenials = Object.values(built.template.findResources("AWS::SNS::TopicPolicy")).filter(
        (policy) => JSON.stringify(policy).includes('"aws:SecureTransport":"false"'),
      );
      expect(tlsDenials).toHaveLength(2);
    });

    it("let CloudWatch alarms of this account publish to the operations topic and use its key", () => {
      built.template.hasResourceProperties("AWS::SNS::TopicPolicy", {
        Topics: [ref(built.stack.topics.operations.topicArn)],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Allow",
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: "sns:Publish",
              Condition: Match.objectLike({
                StringEquals: Match.objectLike({ "aws:SourceAccount": Match.anyValue() }),
              }),
            }),
          ]),
        },
      });
      built.template.hasResourceProperties("AWS::KMS::Key", {
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: "cloudwatch.amazonaws.com" },
              Action: Match.arrayWith(["kms:Decrypt"]),
            }),
          ]),
        },
      });
    });

    it("have no subscriptions unless configured", () => {
      built.template.resourceCountIs("AWS::SNS::Subscription", 0);
    });
  });

  describe("alarms", () => {
    const alarms = () => Object.values(built.template.findResources("AWS::CloudWatch::Alarm")) as Resource[];

    it("notify the operations topic, never the paging topic, on alarm and on recovery", () => {
      expect(alarms()).toHaveLength(8);
      const operations = ref(built.stack.topics.operations.topicArn);
      for (const alarm of alarms()) {
        expect(alarm.Properties.AlarmActions).toEqual([operations]);
        expect(alarm.Properties.OKActions).toEqual([operations]);
        expect(String(alarm.Properties.AlarmDescription)).toMatch(/^hookwatch: /);
      }
    });

    it("watch the dead-letter queue, the oldest message, processor and recovery errors, API 5xx and undelivered notifications", () => {
      const queueName = (queue: { queueName: string }) => ref(queue.queueName);
      const watched = alarms().map((alarm) => [alarm.Properties.MetricName, alarm.Properties.Dimensions]);
      expect(watched).toEqual(
        expect.arrayContaining([
          [
            "ApproximateNumberOfMessagesVisible",
            [{ Name: "QueueName", Value: queueName(built.stack.queue.deadLetterQueue) }],
          ],
          [
            "ApproximateAgeOfOldestMessage",
            [{ Name: "QueueName", Value: queueName(built.stack.queue.queue) }],
          ],
          [
            "Errors",
            [{ Name: "FunctionName", Value: ref(built.stack.functions.processor.function.functionName) }],
          ],
          [
            "Errors",
            [{ Name: "FunctionName", Value: ref(built.stack.functions.recovery.function.functionName) }],
          ],
          ["5XXError", expect.arrayContaining([expect.objectContaining({ Name: "ApiName" })])],
          [
            "ApproximateNumberOfMessagesVisible",
            [{ Name: "QueueName", Value: queueName(built.stack.topics.undeliveredQueue) }],
          ],
        ]),
      );
    });

    it("alarm on any webhook POST the gateway refuses with a 4xx, counted from the access log", () => {
      built.template.hasResourceProperties("AWS::Logs::MetricFilter", {
        LogGroupName: ref(built.stack.ingress.accessLogs.logGroupName),
        FilterPattern: '{ ($.httpMethod = "POST") && ($.resourcePath = "/webhook") && ($.status = "4*") }',
        MetricTransformations: [
          { MetricNamespace: METRICS_NAMESPACE, MetricName: "WebhookPostsRefused", MetricValue: "1" },
        ],
      });
      built.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: METRICS_NAMESPACE,
        MetricName: "WebhookPostsRefused",
        Statistic: "Sum",
        Period: 300,
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        AlarmActions: [ref(built.stack.topics.operations.topicArn)],
      });
    });

    it("do not alarm on the stage-wide 4xx, which scanners and wrong activation tokens raise", () => {
      built.template.resourcePropertiesCountIs("AWS::CloudWatch::Alarm", { MetricName: "4XXError" }, 0);
    });

    it("alarm on the processor's rejected-message metric by its exact name and dimension", () => {
      built.template.hasResourceProperties("AWS::CloudWatch::Alarm", {
        Namespace: METRICS_NAMESPACE,
        MetricName: METRIC.messagesRejected,
        Dimensions: [{ Name: "service", Value: SERVICE_NAME }],
        Statistic: "Sum",
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      });
    });
  });

  describe("dashboard", () => {
    it("shows events by hook and reason class, duplicates, pages and rejections", () => {
      const body = JSON.stringify(onlyResource(built.template, "AWS::CloudWatch::Dashboard").DashboardBody);
      for (const metric of [METRIC.eventsStored, METRIC.eventsDuplicate, METRIC.eventsInvalid]) {
        expect(body).toContain(
          `SEARCH('{${METRICS_NAMESPACE},service,hook,reason_class} MetricName=\\\\\\"${metric}\\\\\\"'`,
        );
      }
      for (const metric of [METRIC.pagesPublished, METRIC.resolvesPublished, METRIC.messagesRejected]) {
        expect(body).toContain(`\\"${metric}\\",\\"service\\",\\"${SERVICE_NAME}\\"`);
      }
    });
  });

  describe("outputs", () => {
    it("give the webhook URL, both topic ARNs, the table names and both queue URLs", () => {
      const outputs = built.template.toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(Object.keys(outputs)).toEqual(
        expect.arrayContaining([
          "WebhookUrl",
          "VerificationTokenCommand",
          "PagingTopicArn",
          "OperationsTopicArn",
          "EventsTableName",
          "StateTableName",
          "AppIds",
          "QueueUrl",
          "DeadLetterQueueUrl",
        ]),
      );
      expect(outputs.AppIds?.Value).toBe(built.stack.config.appIds.join(","));
      expect(JSON.stringify(outputs.WebhookUrl?.Value)).toContain("/webhook");
      expect(outputs.PagingTopicArn?.Value).toEqual(ref(built.stack.topics.paging.topicArn));
      expect(outputs.QueueUrl?.Value).toEqual(ref(built.stack.queue.queue.queueUrl));
      expect(outputs.DeadLetterQueueUrl?.Value).toEqual(ref(built.stack.queue.deadLetterQueue.queueUrl));
    });

    it("leave no absolute path of the build machine in the template", () => {
      expect(JSON.stringify(built.template.toJSON())).not.toContain(process.cwd());
    });
  });
});

describe("the synthesized stack with settings", () => {
  it("lets a POST without X-Webhook-Signature through when signature verification is off", () => {
    const { template } = synthesizeHookwatch({ signatureVerification: "off" });

    template.hasResourceProperties("AWS::ApiGateway::Method", {
      HttpMethod: "POST",
      RequestParameters: { [`method.request.header.${WEBHOOK_HEADERS.signature}`]: false },
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ SIGNATURE_VERIFICATION: "off" }) },
    });
  });

  it("reads a supplied verification token secret instead of generating one", () => {
    const { template } = synthesizeHookwatch({ verificationTokenSecretArn: SECRET_ARN });

    template.resourceCountIs("AWS::SecretsManager::Secret", 0);
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ VERIFICATION_TOKEN_SECRET_ARN: SECRET_ARN }) },
    });
  });

  it("lets only the processor read the HMAC secret when one is configured", () => {
    const { template } = synthesizeHookwatch({ hmacSecretArn: HMAC_ARN });

    const readers = Object.values(template.findResources("AWS::IAM::Policy")).filter((policy) =>
      JSON.stringify(policy).includes(HMAC_ARN),
    ) as Resource[];
    expect(readers).toHaveLength(1);
    expect(JSON.stringify(readers[0]?.Properties.Roles)).toContain("Processor");
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ HMAC_SECRET_ARN: HMAC_ARN }) },
    });
  });

  it("passes burst rules, retention, JWKS overrides, throttling and concurrency through", () => {
    const { template } = synthesizeHookwatch({
      migrationBurstThreshold: "3",
      stepUpBurstWindowSeconds: 120,
      stepUpQuietSeconds: "300",
      eventRetentionDays: "90",
      jwksUrls: '{"app_two":"https://keys.example.com/jwks.json"}',
      throttleRateLimit: "20",
      throttleBurstLimit: "40",
      processorMaxConcurrency: "3",
      logRetentionDays: "90",
      migrationRunbookUrl: "https://wiki.example.com/runbooks/migration",
    });

    const fn = Object.values(
      template.findResources("AWS::Lambda::Function", {
        Properties: { Environment: { Variables: { MIGRATION_BURST_THRESHOLD: "3" } } },
      }),
    ) as Resource[];
    expect(fn).toHaveLength(2);
    const env = ((fn[0] as Resource).Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    const config = loadConfig(
      Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, typeof v === "string" ? v : `deployed-${k}`]),
      ),
    );
    expect(config.burstRules).toEqual({
      migration: {
        threshold: 3,
        windowSeconds: 60,
        quietSeconds: 60,
        runbookUrl: "https://wiki.example.com/runbooks/migration",
      },
      "step-up": { threshold: 5, windowSeconds: 120, quietSeconds: 300 },
    });
    expect(config.eventRetentionDays).toBe(90);
    expect(config.jwksUrlFor("app_two")).toBe("https://keys.example.com/jwks.json");
    template.hasResourceProperties("AWS::ApiGateway::Stage", {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })],
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      ScalingConfig: { MaximumConcurrency: 3 },
    });
    template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 90 });
  });

  it("hands reminders and response-storm warnings to both functions only for the hooks that turn them on", () => {
    const { template } = synthesizeHookwatch({
      stepUpReminderMinutes: "45",
      migrationResponseStormThreshold: "25",
      migrationResponseStormWindowSeconds: "120",
    });

    const functions = Object.values(
      template.findResources("AWS::Lambda::Function", {
        Properties: { Environment: { Variables: { STEP_UP_REMINDER_MINUTES: "45" } } },
      }),
    ) as Resource[];
    expect(functions).toHaveLength(2);
    const env = ((functions[0] as Resource).Properties.Environment as { Variables: Record<string, unknown> })
      .Variables;
    expect(env).not.toHaveProperty("MIGRATION_REMINDER_MINUTES");
    expect(env).not.toHaveProperty("STEP_UP_RESPONSE_STORM_THRESHOLD");
    const config = loadConfig(
      Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, typeof v === "string" ? v : `deployed-${k}`]),
      ),
    );
    expect(config.burstRules).toEqual({
      migration: {
        threshold: 5,
        windowSeconds: 60,
        quietSeconds: 60,
        responseStorm: { threshold: 25, windowSeconds: 120 },
      },
      "step-up": { threshold: 5, windowSeconds: 60, quietSeconds: 60, reminderMinutes: 45 },
    });
  });

  it("subscribes configured emails, SMS numbers and HTTPS endpoints, each with a dead-letter queue", () => {
    const { stack, template } = synthesizeHookwatch({
      pagingEmails: "oncall@example.com",
      pagingSmsNumbers: ["+15555550100"],
      pagingHttpsUrls: "https://events.pagerduty.example/integration/abc",
      operationsEmails: "ops@example.com, platform@example.com",
    });
    const paging = stack.resolve(stack.topics.paging.topicArn);
    const operations = stack.resolve(stack.topics.operations.topicArn);
    const undelivered = stack.resolve(stack.topics.undeliveredQueue.queueArn);

    template.resourceCountIs("AWS::SNS::Subscription", 5);
    for (const [protocol, endpoint, topic] of [
      ["email", "oncall@example.com", paging],
      ["sms", "+15555550100", paging],
      ["https", "https://events.pagerduty.example/integration/abc", paging],
      ["email", "ops@example.com", operations],
      ["email", "platform@example.com", operations],
    ]) {
      template.hasResourceProperties("AWS::SNS::Subscription", {
        Protocol: protocol,
        Endpoint: endpoint,
        TopicArn: topic,
        RedrivePolicy: { deadLetterTargetArn: undelivered },
      });
    }
  });
});
