import { randomUUID } from "node:crypto";
import velocity from "velocityjs";

/** What an API Gateway REST API request template sees of one request. */
export interface TemplateRequest {
  /** The raw request body. */
  readonly body: string;
  /** Request headers; looked up case-insensitively, as HTTP header names are. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
  readonly path?: Readonly<Record<string, string>>;
  /** `$context` variables; `requestId` and `requestTimeEpoch` are filled in when absent. */
  readonly context?: Readonly<Record<string, unknown>>;
}

/**
 * Java's `URLEncoder.encode(s, "UTF-8")`, which is what API Gateway's `$util.urlEncode` runs:
 * letters, digits and `.-*_` stay, a space becomes `+`, every other UTF-8 byte becomes `%XX`.
 */
export function urlEncodeLikeJava(value: string): string {
  let encoded = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9.*_-]/.test(char)) encoded += char;
    else if (byte === 0x20) encoded += "+";
    else encoded += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return encoded;
}

/** Java's `URLDecoder.decode(s, "UTF-8")`: `+` is a space; a malformed escape throws. */
export function urlDecodeLikeJava(value: string): string {
  return decodeURIComponent(value.replaceAll("+", " "));
}

/**
 * `$util.escapeJavaScript`: Apache Commons Lang's `escapeJavaScript`, which API Gateway uses.
 * Note that it escapes `'` as `\'`, which is not valid inside JSON.
 */
export function escapeJavaScript(value: string): string {
  const named: Record<string, string> = {
    '"': '\\"',
    "'": "\\'",
    "\\": "\\\\",
    "/": "\\/",
    "\b": "\\b",
    "\n": "\\n",
    "\t": "\\t",
    "\f": "\\f",
    "\r": "\\r",
  };
  let escaped = "";
  for (let i = 0; i < value.length; i++) {
    const char = value.charAt(i);
    const code = value.charCodeAt(i);
    const replacement = named[char];
    if (replacement !== undefined) escaped += replacement;
    else if (code < 0x20 || code > 0x7e) escaped += `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
    else escaped += char;
  }
  return escaped;
}

/** The value at a JSONPath of the simple forms API Gateway templates use: `$`, `$.a.b`, `$.a[0]`, `$['a']`. */
function selectJsonPath(document: unknown, path: string): unknown {
  if (!path.startsWith("$")) throw new Error(`unsupported JSONPath "${path}": it must start with $`);
  const steps = [...path.slice(1).matchAll(/\.([^.[\]]+)|\[(\d+)\]|\[['"]([^'"]+)['"]\]/g)];
  if (steps.map((step) => step[0]).join("") !== path.slice(1)) {
    throw new Error(`unsupported JSONPath "${path}"`);
  }
  let current = document;
  for (const step of steps) {
    const key = step[1] ?? step[3] ?? Number(step[2]);
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

function lookupHeader(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/**
 * Evaluates an API Gateway REST API request template (Velocity) over one request, with the
 * `$input`, `$util` and `$context` variables API Gateway provides. Used by the tests and the
 * local endpoint to run the very template the stack deploys.
 */
export function renderRequestTemplate(template: string, request: TemplateRequest): string {
  const headers = request.headers ?? {};
  const query = request.query ?? {};
  const path = request.path ?? {};
  const parseBody = (): unknown => JSON.parse(request.body === "" ? "{}" : request.body);

  const input = {
    body: request.body,
    json: (jsonPath: string) => JSON.stringify(selectJsonPath(parseBody(), jsonPath) ?? null),
    path: (jsonPath: string) => selectJsonPath(parseBody(), jsonPath),
    // API Gateway looks a name up in the path, then the query string, then the headers; "" when absent.
    params: (name?: string) =>
      name === undefined
        ? { path: { ...path }, querystring: { ...query }, header: { ...headers } }
        : (path[name] ?? query[name] ?? lookupHeader(headers, name) ?? ""),
  };
  const util = {
    urlEncode: urlEncodeLikeJava,
    urlDecode: urlDecodeLikeJava,
    escapeJavaScript,
    base64Encode: (value: string) => Buffer.from(value, "utf8").toString("base64"),
    base64Decode: (value: string) => Buffer.from(value, "base64").toString("utf8"),
    parseJson: (value: string) => JSON.parse(value) as unknown,
  };
  const context = { requestId: randomUUID(), requestTimeEpoch: Date.now(), ...request.context };

  return velocity.render(template, { input, util, context });
}

/** One SQS message attribute as `SendMessage` takes it. */
export interface SendMessageAttribute {
  readonly DataType: string;
  readonly StringValue: string;
}

/** The `SendMessage` parameters that a form-encoded SQS query-protocol request carries. */
export interface SendMessageParameters {
  readonly MessageBody: string;
  readonly MessageAttributes: Record<string, SendMessageAttribute>;
}

/**
 * Decodes the form-encoded body that a request template sends to SQS back into `SendMessage`
 * parameters; throws on anything SQS would refuse or that the template should not produce
 * (another action, an unknown parameter, attribute numbers that skip, an empty value).
 */
export function decodeSendMessageParameters(form: string): SendMessageParameters {
  const fields = new Map<string, string>();
  for (const pair of form.split("&")) {
    const separator = pair.indexOf("=");
    if (separator < 0) throw new Error(`malformed form field "${pair}"`);
    const name = urlDecodeLikeJava(pair.slice(0, separator));
    if (fields.has(name)) throw new Error(`form field "${name}" appears twice`);
    fields.set(name, urlDecodeLikeJava(pair.slice(separator + 1)));
  }

  const action = fields.get("Action");
  if (action !== "SendMessage") throw new Error(`expected Action=SendMessage, got ${action ?? "no Action"}`);
  fields.delete("Action");
  const body = fields.get("MessageBody");
  if (body === undefined || body === "") throw new Error("MessageBody is missing or empty");
  fields.delete("MessageBody");

  const attributes: Record<string, SendMessageAttribute> = {};
  for (let n = 1; fields.has(`MessageAttribute.${n}.Name`); n++) {
    const prefix = `MessageAttribute.${n}`;
    const name = fields.get(`${prefix}.Name`) ?? "";
    const dataType = fields.get(`${prefix}.Value.DataType`);
    const value = fields.get(`${prefix}.Value.StringValue`);
    if (dataType === undefined || value === undefined || value === "") {
      throw new Error(`${prefix} (${name}) needs a DataType and a non-empty StringValue`);
    }
    if (name in attributes) throw new Error(`message attribute ${name} appears twice`);
    attributes[name] = { DataType: dataType, StringValue: value };
    for (const field of ["Name", "Value.DataType", "Value.StringValue"]) fields.delete(`${prefix}.${field}`);
  }
  if (fields.size > 0) throw new Error(`unexpected form fields: ${[...fields.keys()].join(", ")}`);

  return { MessageBody: body, MessageAttributes: attributes };
}
