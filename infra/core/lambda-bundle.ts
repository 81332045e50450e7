// Bundles lambdas/<job>/handler.ts with esbuild into one minified file whose content hash changes only with the code.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { buildSync } from "esbuild";

const ROOT = join(__dirname, "..", "..");

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

/** One bundle per entry, for the nodejs24.x runtime (zip jobs) and the Lambda Node.js 24 base image alike. */
const BUILD_OPTIONS = {
  absWorkingDir: ROOT,
  bundle: true,
  platform: "node",
  target: "node24",
  format: "cjs",
  minify: true,
  legalComments: "none",
  sourcemap: false,
  logLevel: "silent",
} as const;

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
    ...BUILD_OPTIONS,
    entryPoints: [entry],
    outfile: file,
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
  mkdirSync(dir, { recursive: true });
  // Built in memory and written by atomic rename, so concurrent plans or test workers never see a half-written file.
  const contents = new Map<string, Buffer>([
    ["Dockerfile", readFileSync(join(ROOT, "lambdas", job, "Dockerfile"))],
  ]);
  for (const [name, file] of Object.entries(entries)) {
    const entry = join(ROOT, "lambdas", job, file);
    try {
      statSync(entry);
    } catch {
      throw new Error(`image entry ${name} of job "${job}": expected ${entry}`);
    }
    const result = buildSync({
      ...BUILD_OPTIONS,
      entryPoints: [entry],
      outfile: join(dir, `${name}.js`),
      write: false,
    });
    contents.set(`${name}.js`, Buffer.from(result.outputFiles[0]!.contents));
  }
  const h = createHash("sha256");
  const names = [...contents.keys()].sort();
  for (const n of names) {
    const data = contents.get(n)!;
    h.update(`${n}\0`).update(data).update("\0");
    const path = join(dir, n);
    let same = false;
    try {
      same = readFileSync(path).equals(data);
    } catch {
      // not there yet
    }
    if (!same) {
      const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      writeFileSync(tmp, data);
      renameSync(tmp, path);
    }
  }
  // Nothing else goes into the build context.
  for (const stray of readdirSync(dir)) {
    if (!contents.has(stray) && !stray.endsWith(".tmp")) rmSync(join(dir, stray), { force: true });
  }
  const dockerfile = join(dir, "Dockerfile");
  const files = names.filter((n) => n !== "Dockerfile");
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
