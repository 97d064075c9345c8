/** Stand-ins accept any credentials; these dummies make sure no real ones are ever used locally. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" } as const;
export const LOCAL_REGION = "us-east-1";
/** The account id `local-aws-sqs` puts in queue URLs and ARNs; the local topic ARN uses it too. */
export const LOCAL_ACCOUNT_ID = "123456789012";

/** Endpoints of the local stand-ins, as the SDK's `AWS_ENDPOINT_URL_<SERVICE>` variables name them. */
export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly sqs: string;
  readonly sns: string;
  /** The Secrets Manager stand-in, when a destination's secret is served locally. */
  readonly secretsManager?: string;
}

/**
 * The AWS part of the handlers' environment: dummy credentials, a region, an endpoint per stand-in, and a
 * dead loopback endpoint for every other service so nothing can leave the machine.
 */
export function localAwsEnvironment(endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL: "http://127.0.0.1:9",
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SQS: endpoints.sqs,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    ...(endpoints.secretsManager === undefined
      ? {}
      : { AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsManager }),
    // Node 20 is what the local tools may run on; the deployed functions run Node 24.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** Environment variables that would let the SDK pick real credentials or settings up; removed locally. */
export const UNSET_AWS_VARIABLES = ["AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"] as const;
