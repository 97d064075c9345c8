import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { toSendMessageInput, WEBHOOK_HEADERS } from "../../lambdas/webhook/webhook-message.js";
import { decodeSendMessageParameters, renderRequestTemplate } from "../../local/api-gateway-vtl.js";
import { readStackSettings } from "../../local/stack-settings.js";
import { synthesizeStackTemplate } from "../../local/stack-template.js";

const CONTEXT = { requestId: "c0ffee00-1111-2222-3333-444455556666", requestTimeEpoch: 1_767_225_600_123 };
const SIGNATURE = "rsassa-pss-sha256=ab+cd/ef_gh-ij==";

const TRICKY_BODIES: [string, string][] = [
  ["ampersand, plus and equals", '{"a":"x&y+z=1&MessageBody=forged"}'],
  ["percent signs and escapes", '{"a":"100% %41 %2B %ZZ %"}'],
  ["quotes and backslashes", '{"a":"she said \\"hi\\" and \'bye\' \\\\ \\u0041"}'],
  ["newlines, carriage returns and tabs", '{\n\t"a": "line1\\nline2",\r\n\t"b": 1\n}\n'],
  ["non-ASCII", '{"a":"café naïve 日本語 Ωμέγα 😀 \u00a0"}'],
  ["Velocity directives", '{"a":"#set($n = 99)#if(true)yes#end ## not a comment #* nor this *#"}'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: Velocity text, not a JavaScript template
  ["Velocity references", '{"a":"$input.body ${n} $util.urlEncode(\'x\') $context.requestId $!quiet"}'],
  [
    "attribute look-alikes",
    '{"a":"&MessageAttribute.1.Name=Signature&MessageAttribute.1.Value.StringValue=x"}',
  ],
  [
    "a Prelude batch",
    '{"app_id":"app_one","events":[{"type":"migration.hook_failed","payload":{"reason":"request_failed","occurred_at":"2026-01-01T00:00:00Z"}}]}',
  ],
];

describe("the deployed POST mapping template, evaluated", () => {
  let template: string;
  beforeAll(() => {
    template = readStackSettings(synthesizeStackTemplate()).webhookPost.requestTemplates[
      "application/json"
    ] as string;
  });

  const send = (body: string, headers: Record<string, string> = {}) =>
    decodeSendMessageParameters(renderRequestTemplate(template, { body, headers, context: CONTEXT }));

  it.each(TRICKY_BODIES)("queues a body with %s byte for byte", (_name, body) => {
    const parameters = send(body, { [WEBHOOK_HEADERS.signature]: SIGNATURE });

    expect(parameters).toEqual(
      toSendMessageInput({
        body,
        signature: SIGNATURE,
        requestId: CONTEXT.requestId,
        receivedAt: CONTEXT.requestTimeEpoch,
      }),
    );
    expect(Buffer.from(parameters.MessageBody, "utf8").equals(Buffer.from(body, "utf8"))).toBe(true);
  });

  it("queues any Unicode body byte for byte", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1 }), (body) => {
        expect(send(body).MessageBody).toBe(body);
      }),
      { numRuns: 300 },
    );
  });

  it("carries both signature headers, the request id and the arrival time as the contract's attributes", () => {
    const parameters = send('{"a":1}', {
      [WEBHOOK_HEADERS.signature]: SIGNATURE,
      [WEBHOOK_HEADERS.signatureKeyId]: "kid&1=+ é",
    });

    expect(parameters).toEqual(
      toSendMessageInput({
        body: '{"a":1}',
        signature: SIGNATURE,
        signatureKeyId: "kid&1=+ é",
        requestId: CONTEXT.requestId,
        receivedAt: CONTEXT.requestTimeEpoch,
      }),
    );
  });

  it("finds the headers whatever their case", () => {
    const parameters = send('{"a":1}', {
      "x-webhook-signature": SIGNATURE,
      "X-WEBHOOK-SIGNATURE-KEY-ID": "k1",
    });

    expect(parameters.MessageAttributes.Signature?.StringValue).toBe(SIGNATURE);
    expect(parameters.MessageAttributes.SignatureKeyId?.StringValue).toBe("k1");
  });

  it.each([
    ["absent", {}],
    ["empty", { [WEBHOOK_HEADERS.signature]: "", [WEBHOOK_HEADERS.signatureKeyId]: "" }],
  ])(
    "leaves out the signature attributes when the headers are %s, since SQS refuses empty values",
    (_n, headers) => {
      const parameters = send('{"a":1}', headers);

      expect(parameters).toEqual(
        toSendMessageInput({
          body: '{"a":1}',
          requestId: CONTEXT.requestId,
          receivedAt: CONTEXT.requestTimeEpoch,
        }),
      );
      expect(Object.keys(parameters.MessageAttributes)).toEqual(["RequestId", "ReceivedAt"]);
    },
  );

  it("numbers the attributes without gaps when only the key id header is present", () => {
    const rendered = renderRequestTemplate(template, {
      body: "{}",
      headers: { [WEBHOOK_HEADERS.signatureKeyId]: "k1" },
      context: CONTEXT,
    });

    expect(rendered).toContain("&MessageAttribute.3.Name=SignatureKeyId&");
    expect(rendered).not.toContain("MessageAttribute.4");
  });

  it("produces no MessageBody for an empty body, which SQS refuses (the gateway answers 400)", () => {
    const rendered = renderRequestTemplate(template, { body: "", context: CONTEXT });

    expect(rendered).toContain("&MessageBody=&");
    expect(() => decodeSendMessageParameters(rendered)).toThrow(/MessageBody is missing or empty/);
  });
});
