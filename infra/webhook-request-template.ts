import { WEBHOOK_ATTRIBUTES, WEBHOOK_HEADERS } from "../lambdas/webhook/webhook-message.js";

/**
 * The API Gateway request template (Velocity) that turns a webhook POST into the form-encoded
 * parameters of SQS `SendMessage`, following the contract of `lambdas/webhook/webhook-message.ts`:
 * the body byte for byte, the signature headers only when present (SQS refuses empty attribute
 * values), the API request id and the arrival time in epoch milliseconds.
 *
 * It is one line on purpose: a newline between parameters would become part of a value.
 */
export function buildWebhookRequestTemplate(): string {
  const attribute = (name: string, value: string) =>
    `&MessageAttribute.\${n}.Name=${name}` +
    `&MessageAttribute.\${n}.Value.DataType=String` +
    `&MessageAttribute.\${n}.Value.StringValue=${value}` +
    "#set($n = $n + 1)";
  const optionalHeader = (variable: string, header: string, name: string) =>
    `#set($${variable} = $input.params('${header}'))` +
    `#if($${variable} && $${variable} != "")${attribute(name, `$util.urlEncode($${variable})`)}#end`;

  return [
    "#set($n = 1)",
    "Action=SendMessage",
    "&MessageBody=$util.urlEncode($input.body)",
    attribute(WEBHOOK_ATTRIBUTES.requestId, "$util.urlEncode($context.requestId)"),
    attribute(WEBHOOK_ATTRIBUTES.receivedAt, "$context.requestTimeEpoch"),
    optionalHeader("signature", WEBHOOK_HEADERS.signature, WEBHOOK_ATTRIBUTES.signature),
    optionalHeader("signatureKeyId", WEBHOOK_HEADERS.signatureKeyId, WEBHOOK_ATTRIBUTES.signatureKeyId),
  ].join("");
}
