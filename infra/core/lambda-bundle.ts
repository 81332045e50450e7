// Bundles lambdas/<job>/handler.ts with esbuild into one minified file whose content hash changes only with the code.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { type BuildOptions, buildSync, version as esbuildVersion } from "esbuild";

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

/**
 * Content hashes of the files read this process, by path, inode, modification time and size (the SDK's files are
 * inputs of every job, so each is read once); a file written since is read and hashed again. Null: the file is gone.
 */
const fileHashes = new Map<string, string>();
function contentHash(path: string): string | null {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  const memo = `${path}\0${st.ino}\0${st.mtimeMs}\0${st.size}`;
  let h = fileHashes.get(memo);
  if (h === undefined) {
    h = createHash("sha256").update(readFileSync(path)).digest("hex");
    fileHashes.set(memo, h);
  }
  return h;
}

interface CacheManifest {
  /** esbuild's version, the options, the entry and the lockfile and tsconfig contents: any change rebuilds. */
  readonly key: string;
  /** Every file esbuild read into the bundle (its metafile's inputs), relative to the root, with its content hash. */
  readonly inputs: Record<string, string>;
  /** SHA-256 of the output kept beside the manifest. */
  readonly output: string;
}

/** Writes by atomic rename, so concurrent plans or test workers never see a half-written file. */
function writeAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Leaves a file that already holds these bytes alone (its modification time too). */
function writeIfChanged(path: string, data: Buffer): void {
  try {
    if (readFileSync(path).equals(data)) return;
  } catch {
    // not there yet
  }
  writeAtomic(path, data);
}

/**
 * One esbuild bundle of `entry`, reused across processes (dist/.bundle-cache) while the content of every file it was
 * built from is unchanged: each `npm run plan` used to bundle every job again, about 1.5 s of its 7.5 s. A cached
 * output is used only if its own hash still matches, and the key covers esbuild's version, the options, package-lock
 * and tsconfig, so a dependency change that reroutes resolution without touching an input file still rebuilds.
 * Returns the bundle's bytes and whether esbuild ran.
 */
export function cachedBuild(
  entry: string,
  options: Omit<BuildOptions, "entryPoints" | "write" | "metafile">,
  cacheDir: string,
  name: string,
  root: string = ROOT,
): { contents: Buffer; built: boolean } {
  const extra = ["package-lock.json", "tsconfig.json"].map((f) => contentHash(join(root, f)));
  const key = createHash("sha256")
    .update(JSON.stringify({ esbuildVersion, options, entry: relative(root, entry), extra }))
    .digest("hex");
  const manifestFile = join(cacheDir, `${name}.json`);
  const outputFile = join(cacheDir, `${name}.js`);
  try {
    const m = JSON.parse(readFileSync(manifestFile, "utf8")) as CacheManifest;
    if (m.key === key && Object.entries(m.inputs).every(([f, h]) => contentHash(join(root, f)) === h)) {
      const contents = readFileSync(outputFile);
      if (createHash("sha256").update(contents).digest("hex") === m.output) return { contents, built: false };
    }
  } catch {
    // no usable cache entry: build
  }
  const result = buildSync({ ...options, entryPoints: [entry], write: false, metafile: true });
  const contents = Buffer.from(result.outputFiles[0]!.contents);
  const inputs: Record<string, string> = {};
  const base = options.absWorkingDir ?? root;
  for (const f of Object.keys(result.metafile.inputs).sort()) {
    const rel = relative(root, join(base, f));
    const h = contentHash(join(root, rel));
    // Virtual inputs (esbuild's own shims) have no file; they change only with esbuild's version, which is keyed.
    if (h !== null) inputs[rel] = h;
  }
  mkdirSync(cacheDir, { recursive: true });
  writeAtomic(outputFile, contents);
  const manifest: CacheManifest = {
    key,
    inputs,
    output: createHash("sha256").update(contents).digest("hex"),
  };
  writeAtomic(manifestFile, JSON.stringify(manifest));
  return { contents, built: true };
}

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
  const external = options.external ?? EXTERNAL_MODULES;
  const { contents: content } = cachedBuild(
    entry,
    { ...BUILD_OPTIONS, outfile: file, external: [...external] },
    join(outRoot, ".bundle-cache"),
    `${job}${external.length ? `-${createHash("sha256").update(external.join(",")).digest("hex").slice(0, 8)}` : ""}`,
  );
  mkdirSync(dir, { recursive: true });
  writeIfChanged(file, content);
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
    const { contents: bundled } = cachedBuild(
      entry,
      { ...BUILD_OPTIONS, outfile: join(dir, `${name}.js`) },
      join(outRoot, ".bundle-cache"),
      `${job}-image-${name}`,
    );
    contents.set(`${name}.js`, bundled);
  }
  const h = createHash("sha256");
  const names = [...contents.keys()].sort();
  for (const n of names) {
    const data = contents.get(n)!;
    h.update(`${n}\0`).update(data).update("\0");
    writeIfChanged(join(dir, n), data);
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
