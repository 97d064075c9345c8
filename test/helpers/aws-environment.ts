import { inject } from "vitest";

// Before any SDK client is created: the SDK's standard configuration points at loopback only,
// with dummy credentials, so no test can ever reach real AWS.
process.env.AWS_REGION = "us-east-1";
process.env.AWS_ACCESS_KEY_ID = "test";
process.env.AWS_SECRET_ACCESS_KEY = "test";
delete process.env.AWS_SESSION_TOKEN;
delete process.env.AWS_PROFILE;
process.env.AWS_ENDPOINT_URL_DYNAMODB = inject("dynamodbEndpoint");
// Anything without a local stand-in fails fast instead of leaving the machine.
process.env.AWS_ENDPOINT_URL = "http://127.0.0.1:9";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
process.env.POWERTOOLS_DEV = "false";
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.POWERTOOLS_METRICS_DISABLED = "true";
