import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { HookwatchStack } from "../infra/hookwatch-stack.js";

export type CfnTemplate = {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};

/** The app id a local or test synthesis accepts unless the caller's context names others. */
export const LOCAL_APP_ID = "app_local";

/**
 * Synthesizes the stack in memory, without bundling the Lambdas, so the local pipeline and the
 * tests read the tables, queue and mapping template from the very stack that gets deployed.
 * The caller's context is merged over a development default (`appIds: app_local`).
 */
export function synthesizeStackTemplate(context: Record<string, unknown> = {}): CfnTemplate {
  const app = new App({ context: { appIds: LOCAL_APP_ID, "aws:cdk:bundling-stacks": [], ...context } });
  const stack = new HookwatchStack(app, "Hookwatch");
  return Template.fromStack(stack).toJSON() as CfnTemplate;
}

/** The API Gateway request template that maps a webhook POST to SQS `SendMessage`. */
export function readWebhookRequestTemplate(template: CfnTemplate): string {
  const found = Object.values(template.Resources).flatMap((resource) => {
    const integration = resource.Properties?.Integration as
      | { Type?: string; Uri?: unknown; RequestTemplates?: Record<string, string> }
      | undefined;
    const isSendMessage =
      resource.Type === "AWS::ApiGateway::Method" &&
      resource.Properties?.HttpMethod === "POST" &&
      integration?.Type === "AWS" &&
      JSON.stringify(integration.Uri).includes(":sqs:path/");
    const requestTemplate = integration?.RequestTemplates?.["application/json"];
    return isSendMessage && requestTemplate !== undefined ? [requestTemplate] : [];
  });
  if (found.length !== 1) {
    throw new Error(`expected one POST method integrated with SQS in the stack, found ${found.length}`);
  }
  return found[0] as string;
}
