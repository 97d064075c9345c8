import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeSendMessageParameters,
  escapeJavaScript,
  renderRequestTemplate,
  urlDecodeLikeJava,
  urlEncodeLikeJava,
} from "../../local/api-gateway-vtl.js";

/** java.net.URLEncoder itself (the JDK the tests already need for DynamoDB Local), as the reference. */
function encodeWithJava(values: readonly string[]): string[] {
  const program = fileURLToPath(new URL("fixtures/UrlEncode.java", import.meta.url));
  const args = values.map((value) => Buffer.from(value, "utf8").toString("base64"));
  return execFileSync("java", [program, ...args], { encoding: "utf8" })
    .split("\n")
    .slice(0, values.length);
}

describe("$util.urlEncode", () => {
  it("encodes exactly as Java's URLEncoder does", () => {
    const samples = [
      "a b&c=d+e%f",
      "~!'()*-._",
      "café 日本語 😀",
      '{"quote":"\\"x\\"","nl":"\n\r\t"}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Velocity text, not a JavaScript template
      "#set($x = 1) ${n}",
      fc.sample(fc.string({ unit: "binary", maxLength: 40 }), { numRuns: 30, seed: 42 }).join("|"),
    ];

    expect(samples.map(urlEncodeLikeJava)).toEqual(encodeWithJava(samples));
  });

  it("decodes what it encodes", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (value) => {
        expect(urlDecodeLikeJava(urlEncodeLikeJava(value))).toBe(value);
      }),
    );
  });
});

describe("$util.escapeJavaScript", () => {
  it("escapes quotes, slashes, control and non-ASCII characters as Commons Lang does", () => {
    expect(escapeJavaScript(`He said "hi" & it's a/b\\c\n\tend é 😀`)).toBe(
      `He said \\"hi\\" & it\\'s a\\/b\\\\c\\n\\tend \\u00E9 \\uD83D\\uDE00`,
    );
  });
});

describe("renderRequestTemplate", () => {
  const request = {
    body: '{"user":{"name":"Ada","tags":["x","y"]}}',
    headers: { "Content-Type": "application/json", "X-Name": "from-header" },
    query: { name: "from-query", only: "q" },
    path: { name: "from-path" },
    context: { requestId: "r-1", requestTimeEpoch: 42 },
  };

  it("looks a parameter up in the path, then the query string, then the headers, and yields '' when absent", () => {
    const rendered = renderRequestTemplate(
      "$input.params('name')|$input.params('only')|$input.params('x-name')|[$input.params('missing')]",
      request,
    );

    expect(rendered).toBe("from-path|q|from-header|[]");
  });

  it("exposes every parameter through $input.params()", () => {
    const rendered = renderRequestTemplate(
      "$input.params().querystring.get('only') $input.params().header.get('X-Name')",
      request,
    );

    expect(rendered).toBe("q from-header");
  });

  it("selects JSON with $input.json and $input.path", () => {
    const rendered = renderRequestTemplate(
      "$input.json('$.user.tags')|$input.path('$.user').name|$input.json('$')|$input.json('$.nothing')",
      request,
    );

    expect(rendered).toBe(`["x","y"]|Ada|${request.body}|null`);
  });

  it("provides $context, base64 and parseJson", () => {
    const rendered = renderRequestTemplate(
      "$context.requestId $context.requestTimeEpoch $util.base64Encode('é') $util.base64Decode('w6k=') $util.parseJson('{\"a\":7}').a",
      request,
    );

    expect(rendered).toBe("r-1 42 w6k= é 7");
  });

  it("does not evaluate Velocity found inside the body", () => {
    const rendered = renderRequestTemplate("$input.body", { body: "#set($x = 1)$x $context.requestId" });

    expect(rendered).toBe("#set($x = 1)$x $context.requestId");
  });
});

describe("decodeSendMessageParameters", () => {
  const base = "Action=SendMessage&MessageBody=%7B%7D";
  const attribute = (n: number, name: string, value: string) =>
    `&MessageAttribute.${n}.Name=${name}&MessageAttribute.${n}.Value.DataType=String&MessageAttribute.${n}.Value.StringValue=${value}`;

  it("decodes the body and numbered attributes", () => {
    expect(
      decodeSendMessageParameters(`${base}${attribute(1, "A", "x+y%26")}${attribute(2, "B", "2")}`),
    ).toEqual({
      MessageBody: "{}",
      MessageAttributes: {
        A: { DataType: "String", StringValue: "x y&" },
        B: { DataType: "String", StringValue: "2" },
      },
    });
  });

  it.each([
    ["another action", "Action=DeleteQueue&MessageBody=x", /expected Action=SendMessage/],
    ["a missing body", "Action=SendMessage", /MessageBody is missing/],
    ["an empty attribute value", `${base}${attribute(1, "A", "")}`, /non-empty StringValue/],
    [
      "a gap in the numbering",
      `${base}${attribute(2, "A", "x")}`,
      /unexpected form fields: MessageAttribute\.2/,
    ],
    ["an unknown parameter", `${base}&DelaySeconds=5`, /unexpected form fields: DelaySeconds/],
    ["a repeated parameter", `${base}&MessageBody=again`, /appears twice/],
    ["a malformed escape", "Action=SendMessage&MessageBody=%E0%A4%A", /URI malformed/],
  ])("refuses %s", (_name, form, error) => {
    expect(() => decodeSendMessageParameters(form)).toThrow(error);
  });
});
