import { Logger } from "@aws-lambda-powertools/logger";
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from "aws-lambda";
import { SERVICE_NAME } from "../runtime/metric-names.js";
import { loadSecretString } from "../runtime/secret-string.js";
import { answerChallenge } from "./answer-challenge.js";
import { loadChallengeConfig } from "./challenge-config.js";

const config = loadChallengeConfig();
const logger = new Logger({ serviceName: SERVICE_NAME });

/**
 * The verification token, read on the first challenge and reused for a minute, so a new value put in
 * the secret is answered within a minute; a failed read is retried by the next request.
 */
const loadToken = loadSecretString(config.tokenSecretArn, {
  label: "verification token secret",
  cacheSeconds: 60,
});

const json = { "Content-Type": "application/json" };

/** GET on the webhook URL: Prelude's activation challenge. Never logs the token or the query string. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  logger.addContext(context);
  let expected: string;
  try {
    expected = await loadToken();
  } catch (error) {
    logger.error("could not read the verification token", { error: (error as Error).message });
    return { statusCode: 500, headers: json, body: JSON.stringify({ message: "try again later" }) };
  }
  const query = event.queryStringParameters ?? {};
  const answer = answerChallenge(query, expected, config.appIds);
  if (answer.statusCode === 200) logger.info("activation challenge answered", { app_id: query.app_id });
  else logger.warn("activation challenge refused", { refusal: answer.refusal, app_id: query.app_id });
  return { statusCode: answer.statusCode, headers: json, body: answer.body };
}
