// Bundles lambdas/<job>/handler.ts with esbuild into one minified file whose content hash changes only with the code.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
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

export interface ImageContext {
  /** Docker build context: the Dockerfile and one bundled file per entry, nothing else (no node_modules). */
  readonly dir: string;
  readonly dockerfile: string;
  /** The same two paths relative to the project root (where `pulumi up` runs), so plans do not depend on the clone. */
  readonly relativeDir: string;
  readonly relativeDockerfile: string;
  /** SHA-256 over the context's files: the image tag, so the image changes only when its code or Dockerfile does. */
  readonly hash: string;
  readonly files: readonly string[];
}

const imageCache = new Map<string, ImageContext>();

/**
 * Builds the Docker context of a job that runs as a container image: each entry (`verify` -> lambdas/<job>/<file>)
 * bundled to `<entry>.js` beside a copy of lambdas/<job>/Dockerfile, in dist/<job>-image/.
 */
export function imageContext(
  job: string,
  entries: Readonly<Record<string, string>>,
  options: { outRoot?: string } = {},
): ImageContext {
  const outRoot = options.outRoot ?? join(ROOT, "dist");
  const key = `${job}\0${outRoot}\0${JSON.stringify(entries)}`;
  const cached = imageCache.get(key);
  if (cached) return cached;
  const dir = join(outRoot, `${job}-image`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const source = join(ROOT, "lambdas", job, "Dockerfile");
  const dockerfile = join(dir, "Dockerfile");
  copyFileSync(source, dockerfile);
  const h = createHash("sha256");
  h.update(`Dockerfile\0`).update(readFileSync(dockerfile)).update("\0");
  const files: string[] = [];
  for (const [name, file] of Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const entry = join(ROOT, "lambdas", job, file);
    try {
      statSync(entry);
    } catch {
      throw new Error(`image entry ${name} of job "${job}": expected ${entry}`);
    }
    const out = join(dir, `${name}.js`);
    buildSync({
      absWorkingDir: ROOT,
      entryPoints: [entry],
      outfile: out,
      bundle: true,
      platform: "node",
      // The image's base is the Lambda Node.js 22 runtime (see the Dockerfile).
      target: "node22",
      format: "cjs",
      minify: true,
      legalComments: "none",
      sourcemap: false,
      logLevel: "silent",
    });
    h.update(`${name}.js\0`).update(readFileSync(out)).update("\0");
    files.push(`${name}.js`);
  }
  const context: ImageContext = {
    dir,
    dockerfile,
    relativeDir: relative(ROOT, dir),
    relativeDockerfile: relative(ROOT, dockerfile),
    hash: h.digest("hex"),
    files,
  };
  imageCache.set(key, context);
  return context;
}
