// Verifies the newest dump of a database (Boardroom's weekly `pg_restore --list`, the appointment bot's restore test):
// its SHA-256 matches the metadata written at upload, and the dump is readable (pg_restore --list, or a complete
// mysqldump with its "-- Dump completed" footer). Streams the object; nothing is buffered whole.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { PassThrough, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import {
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from "@aws-sdk/client-s3";

export interface DumpVerdict {
  readonly database: string;
  readonly key: string | null;
  readonly ok: boolean;
  readonly problem?: string;
  /** Age of the newest dump that verified, in seconds; null when none did. */
  readonly newestGoodAgeSeconds: number | null;
}

/** Newest first: keys end in the slot's UTC timestamp, so key order is time order within a tier. */
async function dumpsOf(
  s3: S3Client,
  bucket: string,
  database: string,
): Promise<{ key: string; at: number }[]> {
  const out: { key: string; at: number }[] = [];
  for (const tier of ["daily", "weekly", "monthly", "yearly"]) {
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: `${tier}/${database}/` },
    )) {
      for (const o of page.Contents ?? []) {
        const m = /(\d{8})T(\d{6})Z\.dump\.gz$/.exec(o.Key ?? "");
        if (!m) continue;
        const [d, t] = [m[1]!, m[2]!];
        out.push({
          key: o.Key!,
          at: Date.UTC(
            +d.slice(0, 4),
            +d.slice(4, 6) - 1,
            +d.slice(6, 8),
            +t.slice(0, 2),
            +t.slice(2, 4),
            +t.slice(4, 6),
          ),
        });
      }
    }
  }
  return out.sort((a, b) => b.at - a.at);
}

/** Hashes the stored bytes while feeding the decompressed dump to a reader; resolves with the hash and reader verdict. */
async function readDump(
  s3: S3Client,
  bucket: string,
  key: string,
  engine: "postgres" | "mysql",
): Promise<{ sha256: string; readable: string | null }> {
  const obj = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash("sha256");
  const hasher = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  const plain = new PassThrough();
  let readable: Promise<string | null>;
  if (engine === "postgres") {
    const child = spawn("pg_restore", ["--list"], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    plain.pipe(child.stdin);
    child.stdin.on("error", () => undefined);
    readable = new Promise((resolve) =>
      child.once("close", (code) =>
        resolve(code === 0 ? null : `pg_restore --list failed: ${stderr.trim().slice(0, 300)}`),
      ),
    );
  } else {
    let tail = "";
    plain.pipe(
      new Writable({
        write(chunk: Buffer, _e, cb) {
          tail = (tail + chunk.toString()).slice(-200);
          cb();
        },
      }),
    );
    readable = new Promise((resolve) =>
      plain.once("end", () =>
        resolve(/-- Dump completed/.test(tail) ? null : "mysqldump footer missing: the dump is truncated"),
      ),
    );
  }
  await pipeline(obj.Body as NodeJS.ReadableStream, hasher, createGunzip(), plain);
  return { sha256: hash.digest("hex"), readable: await readable };
}

/** Walks back from the newest dump until one verifies; reports the newest's problem if it did not. */
export async function verifyDumps(
  s3: S3Client,
  bucket: string,
  database: string,
  engine: "postgres" | "mysql",
  now: Date,
  maxCandidates = 3,
): Promise<DumpVerdict> {
  const dumps = await dumpsOf(s3, bucket, database);
  if (dumps.length === 0)
    return { database, key: null, ok: false, problem: "no dump found", newestGoodAgeSeconds: null };
  let firstProblem: string | undefined;
  for (const d of dumps.slice(0, maxCandidates)) {
    let problem: string | null;
    try {
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: d.key }));
      const { sha256, readable } = await readDump(s3, bucket, d.key, engine);
      problem =
        head.Metadata?.sha256 !== sha256
          ? `sha256 mismatch (metadata ${head.Metadata?.sha256 ?? "missing"}, actual ${sha256})`
          : readable;
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem === null) {
      const age = Math.round((now.getTime() - d.at) / 1000);
      return firstProblem === undefined
        ? { database, key: d.key, ok: true, newestGoodAgeSeconds: age }
        : { database, key: dumps[0]!.key, ok: false, problem: firstProblem, newestGoodAgeSeconds: age };
    }
    firstProblem ??= `${d.key}: ${problem}`;
  }
  return { database, key: dumps[0]!.key, ok: false, problem: firstProblem, newestGoodAgeSeconds: null };
}
