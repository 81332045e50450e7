// Bundles lambdas/<job>/handler.ts with esbuild into one minified file whose content hash changes only with the code.
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildSync } from "esbuild";

const ROOT = join(__dirname, "..");

export interface Bundle {
  /** Directory holding index.js, shipped as the Lambda's FileArchive. */
  readonly dir: string;
  readonly file: string;
  readonly hash: string;
  readonly bytes: number;
}

/**
 * The AWS SDK is bundled, not taken from the runtime. Measured in docs/benchmarks.md: bundling costs tens of
 * milliseconds of cold load and under 1 MB per job, for jobs that run every few minutes at most; in exchange each
 * Lambda runs the SDK version this repo tests against, not the one the runtime happens to ship. Powertools too.
 */
export const EXTERNAL_MODULES: readonly string[] = [];

const cache = new Map<string, Bundle>();

/** Bundles a job once per process; the program calls it at run time, so `pulumi up` and the plan need no build step. */
export function bundleJob(
  job: string,
  options: { outRoot?: string; external?: readonly string[] } = {},
): Bundle {
  const outRoot = options.outRoot ?? join(ROOT, "dist");
  const key = `${job}\0${outRoot}\0${(options.external ?? EXTERNAL_MODULES).join(",")}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const entry = join(ROOT, "lambdas", job, "handler.ts");
  try {
    statSync(entry);
  } catch {
    throw new Error(`no handler for job "${job}": expected ${entry}`);
  }
  const dir = join(outRoot, job);
  const file = join(dir, "index.js");
  buildSync({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: "node",
    // nodejs24.x runtime.
    target: "node24",
    format: "cjs",
    minify: true,
    legalComments: "none",
    sourcemap: false,
    logLevel: "silent",
    external: [...(options.external ?? EXTERNAL_MODULES)],
  });
  const content = readFileSync(file);
  const bundle: Bundle = {
    dir,
    file,
    hash: createHash("sha256").update(content).digest("hex"),
    bytes: content.length,
  };
  cache.set(key, bundle);
  return bundle;
}
