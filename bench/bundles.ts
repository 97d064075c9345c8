import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { App, Duration, Stack } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { HookwatchFunction } from "../infra/hookwatch-function.js";

export type BundleName = "hookwatch" | "baseline" | "floor" | "delivery";

/** The handler module of each bundle, relative to the repository root. */
export const BUNDLE_ENTRIES: Readonly<Record<BundleName, string>> = {
  hookwatch: "lambdas/processor/handler.ts",
  baseline: "bench/baseline/handler.ts",
  floor: "bench/floor/handler.ts",
  delivery: "lambdas/delivery/handler.ts",
};

export interface Bundle {
  readonly name: BundleName;
  readonly entry: string;
  /** The bundled module Lambda loads. */
  readonly file: string;
  readonly bytes: number;
  readonly gzipBytes: number;
  /** The source map shipped next to it (not loaded at init unless an error stack is mapped). */
  readonly sourceMapBytes: number;
  /** NODE_OPTIONS the function runs with, from its synthesized environment. */
  readonly nodeOptions: string;
}

type CfnResource = { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> };

/**
 * Bundles the handlers through CDK itself: each is a `HookwatchFunction`, the construct that
 * the stack's processor is, so esbuild runs with exactly the options `cdk synth` uses (format,
 * target, minify, banner, source maps, bundled SDK). Synthesized into `outdir`.
 */
export function buildBundles(outdir: string): Bundle[] {
  // The CLI turns asset metadata on; an in-process App must ask for it to name each bundle's folder.
  const app = new App({ outdir, context: { "aws:cdk:enable-asset-metadata": true } });
  const stack = new Stack(app, "HookwatchBench");
  const names = Object.keys(BUNDLE_ENTRIES) as BundleName[];
  const functions = names.map(
    (name) =>
      new HookwatchFunction(stack, `Bench-${name}`, {
        entry: BUNDLE_ENTRIES[name],
        description: `hookwatch bench: ${name}`,
        timeout: Duration.seconds(30),
        memorySize: 512,
        environment: {},
        logRetention: RetentionDays.ONE_DAY,
      }),
  );
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, CfnResource>;
  };
  return names.map((name, index) => {
    const logicalId = stack.getLogicalId(
      (functions[index] as HookwatchFunction).function.node.defaultChild as import("aws-cdk-lib").CfnElement,
    );
    const resource = template.Resources[logicalId];
    const assetPath = resource?.Metadata?.["aws:asset:path"];
    if (typeof assetPath !== "string") throw new Error(`no bundled asset for the ${name} function`);
    const directory = join(outdir, assetPath);
    const file = join(directory, "index.mjs");
    const code = readFileSync(file);
    const environment = (
      resource?.Properties?.Environment as { Variables?: Record<string, string> } | undefined
    )?.Variables;
    return {
      name,
      entry: BUNDLE_ENTRIES[name],
      file,
      bytes: code.byteLength,
      gzipBytes: gzipSync(code, { level: 9 }).byteLength,
      sourceMapBytes: statSync(`${file}.map`, { throwIfNoEntry: false })?.size ?? 0,
      nodeOptions: environment?.NODE_OPTIONS ?? "",
    };
  });
}
