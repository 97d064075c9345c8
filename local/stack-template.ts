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
