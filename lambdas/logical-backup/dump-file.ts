// Fetches a stored dump (zstd, or the gzip of older dumps) to a seekable local file, decompressed and checked against
// the SHA-256 recorded at upload, and restores such a file: `pg_restore --jobs` reads a file it can seek in, never a
// pipe, so a parallel restore (a drill, a real recovery) starts from here.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, createWriteStream, openSync } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { decompressor, formatOfKey } from "./dump-format";

export interface FetchedDump {
  readonly file: string;
  /** SHA-256 of the stored (compressed) bytes; equal to the object's `sha256` metadata, or fetchDump threw. */
  readonly sha256: string;
  readonly storedBytes: number;
  /** Size of the decompressed file: what pg_restore or mysql reads. */
  readonly fileBytes: number;
}

/**
 * Streams `s3://bucket/key` through its format's decompressor into `file` (never whole in memory), hashing the stored
 * bytes on the way; throws if the key is no dump, the data is corrupt, or the hash differs from the metadata.
 */
export async function fetchDump(
  s3: Pick<S3Client, "send">,
  bucket: string,
  key: string,
  file: string,
): Promise<FetchedDump> {
  const format = formatOfKey(key);
  if (!format)
    throw new Error(`${key} is not a dump key (expected <tier>/<db>/<yyyymmddThhmmss>Z.dump.zst or .gz)`);
  const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const recorded = obj.Metadata?.sha256;
  const hash = createHash("sha256");
  let storedBytes = 0;
  let fileBytes = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      storedBytes += chunk.length;
      cb(null, chunk);
    },
  });
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      fileBytes += chunk.length;
      cb(null, chunk);
    },
  });
  const unpack = decompressor(format);
  await pipeline(obj.Body as NodeJS.ReadableStream, hasher, unpack.stream, counter, createWriteStream(file));
  await unpack.done;
  const sha256 = hash.digest("hex");
  if (recorded !== sha256)
    throw new Error(
      `${key}: sha256 mismatch (metadata ${recorded ?? "missing"}, actual ${sha256}); not restoring it`,
    );
  return { file, sha256, storedBytes, fileBytes };
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
