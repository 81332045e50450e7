// How a dump object is stored, in one place for the dump, verification, expiry and restore code: the key suffix,
// content type and compression of new dumps (zstd, once), and of the gzip dumps written before, which stay readable.
import { spawn, spawnSync } from "node:child_process";
import { Duplex, type Readable, type Writable } from "node:stream";
import { createGunzip } from "node:zlib";

export interface DumpFormat {
  /** What every key of this format ends with, after `<tier>/<database>/<yyyymmddThhmmss>Z`. */
  readonly suffix: string;
  readonly contentType: string;
  readonly compression: "zstd" | "gzip";
}

/**
 * New dumps: the tool writes uncompressed (`pg_dump --compress=0`, mysqldump as ever) into one `zstd -1`
 * (ZSTD_COMPRESS_ARGS). pg_dump's own zlib plus the old gzip compressed twice, spending about 8 of every 9 seconds on it
 * (docs/benchmarks.md). application/zstd is the IANA media type of RFC 8878.
 */
export const DUMP_FORMAT: DumpFormat = {
  suffix: ".dump.zst",
  contentType: "application/zstd",
  compression: "zstd",
};

/** Dumps written before zstd: pg_dump's zlib (or mysqldump's text) through gzip. They verify, restore and expire. */
export const LEGACY_GZIP_FORMAT: DumpFormat = {
  suffix: ".dump.gz",
  contentType: "application/gzip",
  compression: "gzip",
};

/** Every format a stored dump may have, the current one first. */
export const DUMP_FORMATS: readonly DumpFormat[] = [DUMP_FORMAT, LEGACY_GZIP_FORMAT];

/** A dump's key: the slot's UTC date and time, then one of the formats' suffixes. */
export const DUMP_KEY_PATTERN = /(\d{8})T(\d{6})Z\.dump\.(zst|gz)$/;

/** The format of a stored dump, from its key; undefined for anything that is not a dump (staging objects, strays). */
export function formatOfKey(key: string): DumpFormat | undefined {
  if (!DUMP_KEY_PATTERN.test(key)) return undefined;
  return DUMP_FORMATS.find((f) => key.endsWith(f.suffix));
}

/**
 * Every key a slot's dump may have: this one, then the same slot in the other formats. A run retried after the switch
 * to zstd finds the slot's gzip dump and writes no second one.
 */
export function sameSlotKeys(key: string): string[] {
  const format = formatOfKey(key);
  if (!format) return [key];
  const stem = key.slice(0, -format.suffix.length);
  return [key, ...DUMP_FORMATS.filter((f) => f !== format).map((f) => stem + f.suffix)];
}

/**
 * zstd's output for an input of no bytes is one frame of 13 bytes (header, an empty last block, the checksum); any
 * output larger than this bound holds data. Outputs up to it are decoded to tell (wroteNothing).
 */
export const EMPTY_PROBE_BYTES = 1024;

/**
 * Whether a tiny zstd output (at most EMPTY_PROBE_BYTES) decodes to nothing: the tool exited 0 yet wrote no dump.
 * The tool's uncompressed bytes never pass through this process (startCompressor), so they are not counted here;
 * zstd itself decodes, exactly, what little it wrote. Undecodable bytes count as written (zstd's exit code judges).
 */
export function wroteNothing(compressed: Buffer): boolean {
  if (compressed.length === 0) return true;
  if (compressed.length > EMPTY_PROBE_BYTES) return false;
  const r = spawnSync("zstd", ["-d", "-q", "-c"], {
    input: compressed,
    env: { PATH: process.env.PATH ?? "" },
  });
  return r.status === 0 && r.stdout.length === 0;
}

/**
 * Level 1, not zstd's default 3 (docs/benchmarks.md, measured side by side): on data zstd finds hard (the bench's hex
 * digests; ids, tokens, hashes) -3 spends twice the CPU of -1 for a larger output, and zstd was then the dump's
 * largest cost; on prose and code, which zstd compresses fast at any level, -3 is about 15% smaller for about the
 * same time. The dump's time (Lambda's 15 minutes, the snapshot holding back vacuum on the source) outweighs that
 * storage. `-q` keeps progress off stderr, which a failure report quotes.
 */
export const ZSTD_COMPRESS_ARGS: readonly string[] = ["-1", "-q", "-c"];

/**
 * A decompressing stream for a stored dump, and a promise that settles when it has finished: gzip in process
 * (node:zlib), zstd through the `zstd` CLI (in the dump image and CI; node:zlib has zstd only from Node 22.15).
 * `done` rejects when the data is corrupt or truncated, even if every byte it did produce was read.
 */
export function decompressor(format: DumpFormat): { stream: Duplex; done: Promise<void> } {
  if (format.compression === "gzip") {
    const stream = createGunzip();
    const done = new Promise<void>((resolve, reject) => {
      stream.once("end", resolve);
      stream.once("error", reject);
    });
    return { stream, done };
  }
  return filterProcess("zstd", ["-d", "-q", "-c"]);
}

/** The compressor of new dumps: a `zstd` process whose stdin is handed to the dump tool as its stdout. */
export interface Compressor {
  /**
   * This process's end of zstd's stdin, to pass as the tool's stdout (`stdio: ["ignore", c.input, "pipe"]`): the
   * tool then writes straight into zstd and its uncompressed bytes never cross Node's event loop. Call
   * `handedOver()` once the tool is spawned, so zstd sees the end of its input when the tool exits.
   */
  readonly input: Writable;
  /** The compressed bytes: the only ones this process reads. */
  readonly output: Readable;
  /** Closes this process's copy of zstd's stdin (the tool holds its own). */
  handedOver(): void;
  /** Settles when zstd has exited: rejects on a non-zero exit (with its stderr) or a failed spawn. */
  readonly done: Promise<void>;
  kill(): void;
}

/**
 * Starts `zstd` and resolves once it runs (or rejects with "zstd: spawn zstd ENOENT" when it cannot start), so the
 * dump tool is never started without its compressor. zstd gets PATH only: it has no use for the job's environment
 * (Lambda's credentials are in it).
 */
export async function startCompressor(): Promise<Compressor> {
  const child = spawn("zstd", [...ZSTD_COMPRESS_ARGS], {
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  const closed = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once("close", (code, signal) => resolve(code ?? signal ?? -1)),
  );
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", resolve);
    child.once("error", (e) => {
      child.stdin.destroy();
      child.stdout.destroy();
      reject(new Error(`zstd: ${e.message}`));
    });
  });
  const done = closed.then((code) => {
    if (code !== 0)
      throw new Error(`zstd ${ZSTD_COMPRESS_ARGS.join(" ")} exited ${code}: ${stderr.trim().slice(0, 300)}`);
  });
  done.catch(() => undefined);
  return {
    input: child.stdin,
    output: child.stdout,
    handedOver: () => child.stdin.destroy(),
    done,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
  };
}

/** A child process as a Duplex (stdin in, stdout out); `done` rejects on a non-zero exit with its stderr. */
function filterProcess(command: string, args: string[]): { stream: Duplex; done: Promise<void> } {
  // PATH only: a compressor has no use for the job's environment (Lambda's credentials are in it).
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH ?? "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  const stream = Duplex.from({ writable: child.stdin, readable: child.stdout });
  const done = new Promise<void>((resolve, reject) => {
    // Not installed (or not runnable): the pipeline fails with this, not with a bare "Premature close".
    child.once("error", (e) => {
      const error = new Error(`${command}: ${e.message}`);
      stream.destroy(error);
      reject(error);
    });
    child.once("close", (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `${command} ${args.join(" ")} exited ${code ?? signal}: ${stderr.trim().slice(0, 300)}`,
            ),
          ),
    );
  });
  // A pipeline that fails or stops before the output's end must not leave the process behind.
  stream.once("close", () => {
    if (!stream.readableEnded && child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  });
  done.catch(() => undefined);
  return { stream, done };
}
