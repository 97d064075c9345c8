import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { HookwatchStack } from "../../infra/hookwatch-stack.js";

export const TEST_APP_IDS = "app_one,app_two";

/** The stack as `cdk synth -c ...` would build it, minus Lambda bundling (slow, and covered by the CLI test). */
export function synthesizeHookwatch(context: Record<string, unknown> = {}): {
  stack: HookwatchStack;
  template: Template;
} {
  const app = new App({ context: { appIds: TEST_APP_IDS, "aws:cdk:bundling-stacks": [], ...context } });
  const stack = new HookwatchStack(app, "Hookwatch");
  return { stack, template: Template.fromStack(stack) };
}

/** The properties of the only resource of a type, failing loudly when there is not exactly one. */
export function onlyResource(template: Template, type: string): Record<string, unknown> {
  const resources = Object.values(template.findResources(type));
  if (resources.length !== 1) throw new Error(`expected one ${type}, found ${resources.length}`);
  return (resources[0] as { Properties: Record<string, unknown> }).Properties;
}
