// Verifies the newest dump of a database (Boardroom's weekly `pg_restore --list`, the appointment bot's restore test):
// its SHA-256 matches the metadata written at upload, and the dump is readable (pg_restore --list, or a complete
// mysqldump with its "-- Dump completed" footer). Streams the object; nothing is buffered whole.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { PassThrough, Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectTaggingCommand,
  paginateListObjectsV2,
  type S3Client,
  type Tag,
} from "@aws-sdk/client-s3";
import { aheadBy, isSlotAhead } from "../shared/slot";
import { DUMP_KEY_PATTERN, decompressor, formatOfKey } from "./dump-format";

/** Tag a verification leaves on a dump (`ok` or `failed`), so hourly runs download each dump once, not every hour. */
export const VERIFIED_TAG = "verified";

export interface DumpVerdict {
  readonly database: string;
  readonly key: string | null;
  readonly ok: boolean;
  readonly problem?: string;
  /** Age of the newest dump that verified, in seconds; null when none did. */
  readonly newestGoodAgeSeconds: number | null;
}

export interface StoredDump {
  readonly bucket: string;
  readonly key: string;
  readonly tier: string;
  /** The slot's time (ms since the epoch), from the key. */
  readonly at: number;
  /** When S3 stored the object (LastModified), when the listing says. */
  readonly written?: number;
}

/**
 * A dump whose slot was ahead of the clock, now or when it was written (its time typed by hand): it never counts as
 * a dump that ran, even after that time has come (then the scheduled run of its slot found it and took none).
 */
export function isFromTheFuture(d: StoredDump, now: Date): boolean {
  return isSlotAhead(d.at, now) || (d.written !== undefined && isSlotAhead(d.at, new Date(d.written)));
}

/** Every dump of a database in the given buckets, newest first (keys end in the slot's UTC timestamp). */
export async function dumpsOf(
  s3: S3Client,
  buckets: readonly string[],
  database: string,
  tiers: readonly string[] = ["daily", "weekly", "monthly", "yearly"],
): Promise<StoredDump[]> {
  const out: StoredDump[] = [];
  for (const bucket of buckets)
    for (const tier of tiers) {
      for await (const page of paginateListObjectsV2(
        { client: s3 },
        { Bucket: bucket, Prefix: `${tier}/${database}/` },
      )) {
        for (const o of page.Contents ?? []) {
          // Both formats: zstd dumps, and the gzip ones written before, which verify and expire as ever.
          const m = DUMP_KEY_PATTERN.exec(o.Key ?? "");
          if (!m) continue;
          const [d, t] = [m[1]!, m[2]!];
          out.push({
            bucket,
            key: o.Key!,
            tier,
            ...(o.LastModified ? { written: o.LastModified.getTime() } : {}),
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
  const format = formatOfKey(key);
  if (!format) throw new Error(`${key} is not a dump key`);
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
    // pg_restore --list reads the table of contents at the start and exits; the rest must still be read and hashed,
    // so once the reader is gone the bytes are dropped instead of stalling the download.
    let gone = false;
    const markGone = () => {
      gone = true;
    };
    child.stdin.on("error", markGone);
    child.stdin.once("close", markGone);
    child.once("close", markGone);
    plain.pipe(
      new Writable({
        write(chunk: Buffer, _e, cb) {
          if (gone || child.stdin.write(chunk)) return cb();
          const go = () => {
            child.stdin.off("drain", go);
            child.stdin.off("close", go);
            child.off("close", go);
            cb();
          };
          child.stdin.once("drain", go);
          child.stdin.once("close", go);
          child.once("close", go);
        },
        final(cb) {
          if (!gone) child.stdin.end();
          cb();
        },
      }),
    );
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
  const unpack = decompressor(format);
  await pipeline(obj.Body as NodeJS.ReadableStream, hasher, unpack.stream, plain);
  await unpack.done;
  return { sha256: hash.digest("hex"), readable: await readable };
}

/** Checks one dump: its recorded verdict if an earlier run left one, else download, hash and read it, then record. */
async function checkDump(
  s3: S3Client,
  bucket: string,
  key: string,
  engine: "postgres" | "mysql",
): Promise<string | null> {
  const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }));
  const tags: Tag[] = tagging.TagSet ?? [];
  const recorded = tags.find((t) => t.Key === VERIFIED_TAG)?.Value;
  if (recorded === "ok") return null;
  if (recorded === "failed") return "failed an earlier verification";
  let problem: string | null;
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    const { sha256, readable } = await readDump(s3, bucket, key, engine);
    problem =
      head.Metadata?.sha256 !== sha256
        ? `sha256 mismatch (metadata ${head.Metadata?.sha256 ?? "missing"}, actual ${sha256})`
        : readable;
  } catch (e) {
    // A read error (throttling, a network fault) is not recorded: the next run tries again.
    return (e as Error).message;
  }
  // A readability problem may be the reader's (a missing pg_restore), so only verdicts about the bytes are kept.
  const verdict = problem === null ? "ok" : problem.startsWith("sha256 mismatch") ? "failed" : null;
  if (verdict === null) return problem;
  // Keep the tier tag the lifecycle rules filter on; only add the verdict.
  await s3.send(
    new PutObjectTaggingCommand({
      Bucket: bucket,
      Key: key,
      Tagging: {
        TagSet: [...tags.filter((t) => t.Key !== VERIFIED_TAG), { Key: VERIFIED_TAG, Value: verdict }],
      },
    }),
  );
  return problem;
}

/**
 * Walks back from the newest dump until one verifies; reports the newest's problem if it did not. Then the newest
 * dump of every other tier is checked too (once each: the verified tag remembers), so a bad monthly or yearly dump
 * hidden behind a good daily one still fails verification. A dump whose slot lies in the future (beyond
 * MAX_SLOT_AHEAD_MS, shared/slot.ts) fails verification and is left out of the rest: the newest good dump and its
 * age come from the others.
 */
export async function verifyDumps(
  s3: S3Client,
  buckets: string | readonly string[],
  database: string,
  engine: "postgres" | "mysql",
  now: Date,
  maxCandidates = 3,
): Promise<DumpVerdict> {
  const all = await dumpsOf(s3, typeof buckets === "string" ? [buckets] : buckets, database);
  if (all.length === 0)
    return { database, key: null, ok: false, problem: "no dump found", newestGoodAgeSeconds: null };
  // A slot in the future was typed by hand: that dump is never the newest (its age would be negative and blind the
  // age alarm, pass the expiry freshness guard, and hold a place in the floor). It fails verification whatever its
  // bytes; the newest good dump is looked for among the others.
  const ahead = all.filter((d) => isSlotAhead(d.at, now));
  const dumps = all.filter((d) => !isFromTheFuture(d, now));
  const verdict = await verifyPast(s3, dumps, database, engine, now, maxCandidates);
  const first = ahead[0];
  if (!first) return verdict;
  const problem =
    `${first.key}: its slot ${new Date(first.at).toISOString()} lies ${aheadBy(first.at - now.getTime())} ahead ` +
    `of the clock (${now.toISOString()}): no dump is from the future (its time was typed by hand), so it is not ` +
    `counted (not even once that time has come); delete it`;
  return {
    ...verdict,
    key: first.key,
    ok: false,
    problem: verdict.ok || dumps.length === 0 ? problem : `${problem}; ${verdict.problem}`,
  };
}

/** verifyDumps over dumps whose slots are not in the future (newest first). */
async function verifyPast(
  s3: S3Client,
  dumps: readonly StoredDump[],
  database: string,
  engine: "postgres" | "mysql",
  now: Date,
  maxCandidates: number,
): Promise<DumpVerdict> {
  if (dumps.length === 0)
    return { database, key: null, ok: false, problem: "no dump found", newestGoodAgeSeconds: null };
  const checked = new Set<string>();
  const check = async (d: StoredDump): Promise<string | null> => {
    checked.add(`${d.bucket}/${d.key}`);
    try {
      return await checkDump(s3, d.bucket, d.key, engine);
    } catch (e) {
      return (e as Error).message;
    }
  };
  let verdict: DumpVerdict | undefined;
  let firstProblem: string | undefined;
  for (const d of dumps.slice(0, maxCandidates)) {
    const problem = await check(d);
    if (problem === null) {
      const age = Math.round((now.getTime() - d.at) / 1000);
      verdict =
        firstProblem === undefined
          ? { database, key: d.key, ok: true, newestGoodAgeSeconds: age }
          : { database, key: dumps[0]!.key, ok: false, problem: firstProblem, newestGoodAgeSeconds: age };
      break;
    }
    firstProblem ??= `${d.key}: ${problem}`;
  }
  verdict ??= { database, key: dumps[0]!.key, ok: false, problem: firstProblem, newestGoodAgeSeconds: null };
  if (!verdict.ok) return verdict;
  const newestOfTier = new Map<string, StoredDump>();
  for (const d of dumps) if (!newestOfTier.has(d.tier)) newestOfTier.set(d.tier, d);
  for (const d of newestOfTier.values()) {
    if (checked.has(`${d.bucket}/${d.key}`)) continue;
    const problem = await check(d);
    if (problem !== null) return { ...verdict, key: d.key, ok: false, problem: `${d.key}: ${problem}` };
  }
  return verdict;
}
