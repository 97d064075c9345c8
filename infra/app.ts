import { App } from "aws-cdk-lib";
import { HookwatchStack } from "./hookwatch-stack.js";

const app = new App();
new HookwatchStack(app, "Hookwatch");
