// Fetches a stored dump (zstd, or the gzip of older dumps) to a seekable local file, its stored bytes checked against
// the SHA-256 recorded at upload before a byte is decoded, and restores such a file: `pg_restore --jobs` reads a file
// it can seek in, never a pipe, so a parallel restore (verification's, a drill, a real recovery) starts from here.
// The one fetcher of the restore paths; the decoding is chosen by the key's format (dump-format.ts).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, createReadStream, createWriteStream, openSync } from "node:fs";
import { rm } from "node:fs/promises";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { DUMP_FORMATS, decompressor, formatOfKey } from "./dump-format";

export interface FetchedDump {
  readonly file: string;
  /** SHA-256 of the stored (compressed) bytes: the recorded one, or fetchDump threw. */
  readonly sha256: string;
  readonly storedBytes: number;
  /** Size of the decompressed file: what pg_restore or mysql reads. */
  readonly fileBytes: number;
  /** The object's user metadata (sha256, bytes, dump-seconds). */
  readonly metadata: Record<string, string>;
}

export class UnknownDumpFormatError extends Error {
  override name = "UnknownDumpFormatError";
}

/** The stored bytes are not the ones the dump job recorded (or it recorded none): nothing was decoded. */
export class ChecksumMismatchError extends Error {
  override name = "ChecksumMismatchError";
}

/**
 * Downloads `s3://bucket/key` to `<file>.stored` while hashing it (never whole in memory) and refuses it, before any
 * byte is decoded or restored, when the hash is not `expectedSha256` (by default the object's own `sha256`
 * metadata; the drill passes the one it checked against the manifest). Then decodes it by its format into `file` and removes the stored copy.
 * Throws UnknownDumpFormatError for a key that is no dump, ChecksumMismatchError, or the decoder's error for corrupt
 * or truncated data.
 */
export async function fetchDump(
  s3: Pick<S3Client, "send">,
  object: { readonly bucket: string; readonly key: string },
  file: string,
  expectedSha256?: string,
): Promise<FetchedDump> {
  const { bucket, key } = object;
  const format = formatOfKey(key);
  if (!format)
    throw new UnknownDumpFormatError(
      `${key}: not a dump key (<tier>/<db>/<yyyymmddThhmmss>Z and one of ${DUMP_FORMATS.map((f) => f.suffix).join(", ")})`,
    );
  const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!obj.Body) throw new Error(`${key}: S3 returned no body`);
  const metadata = obj.Metadata ?? {};
  const expected = expectedSha256 ?? metadata.sha256;
  const hash = createHash("sha256");
  let storedBytes = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      storedBytes += chunk.length;
      cb(null, chunk);
    },
  });
  const stored = `${file}.stored`;
  try {
    await pipeline(obj.Body as NodeJS.ReadableStream, hasher, createWriteStream(stored));
    const sha256 = hash.digest("hex");
    if (sha256 !== expected)
      throw new ChecksumMismatchError(
        `${key}: SHA-256 of the stored bytes is ${sha256}, the dump job recorded ${expected ?? "none"}; not restoring it`,
      );
    let fileBytes = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _e, cb) {
        fileBytes += chunk.length;
        cb(null, chunk);
      },
    });
    const unpack = decompressor(format);
    // `done` rejects on corrupt or truncated data even when every byte produced was written.
    await Promise.all([
      pipeline(createReadStream(stored), unpack.stream, counter, createWriteStream(file)),
      unpack.done,
    ]);
    return { file, sha256, storedBytes, fileBytes, metadata };
  } finally {
    await rm(stored, { force: true });
  }
}

export interface RestoreTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** Travels in PGPASSWORD / MYSQL_PWD, never in arguments. */
  readonly password: string;
  /** An existing, empty database. */
  readonly database: string;
}

/**
 * Restores a fetched dump into an empty database: pg_restore with `jobs` parallel workers (1: serial) and stop at the
 * first error, or the mysql client reading the file (mysqldump's SQL has no parallel restore). Rejects with the
 * tool's stderr when it fails.
 */
export async function restoreFile(
  engine: "postgres" | "mysql",
  file: string,
  to: RestoreTarget,
  jobs = 1,
): Promise<void> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`jobs ${jobs} must be a whole number >= 1`);
  const [command, args, env] =
    engine === "postgres"
      ? [
          "pg_restore",
          [
            "--no-owner",
            "--exit-on-error",
            `--jobs=${jobs}`,
            `--host=${to.host}`,
            `--port=${to.port}`,
            `--username=${to.user}`,
            `--dbname=${to.database}`,
            file,
          ],
          { PGPASSWORD: to.password },
        ]
      : [
          "mysql",
          [`--host=${to.host}`, `--port=${to.port}`, `--user=${to.user}`, to.database],
          { MYSQL_PWD: to.password },
        ];
  // mysql reads the file as its stdin; pg_restore opens it by name (it seeks).
  const stdin = engine === "mysql" ? openSync(file, "r") : "ignore";
  await new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: [stdin, "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    child.once("error", reject);
    child.once("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${stderr.trim().slice(0, 500)}`)),
    );
  }).finally(() => {
    if (typeof stdin === "number") closeSync(stdin);
  });
}
