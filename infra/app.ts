import { App } from "aws-cdk-lib";
import { HookwatchConfigError } from "./config.js";
import { HookwatchStack } from "./hookwatch-stack.js";
import { addNagChecks } from "./nag-checks.js";

const app = new App();
try {
  new HookwatchStack(app, "Hookwatch");
} catch (error) {
  // A configuration mistake deserves its message, not a stack trace.
  if (!(error instanceof HookwatchConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
addNagChecks(app);
