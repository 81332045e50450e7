// Entry of the dump verification job (the same image, `verify.handler`): each scheduled run checks one database's
// newest dump (checksum, pg_restore --list or the mysqldump footer) and reports the age of its newest good dump.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { S3Client } from "@aws-sdk/client-s3";
import { defineJob, putDimensioned } from "../shared/job";
import { toLog } from "../shared/log";
import type { Log } from "../shared/log";
import { type VerifyConfig, verifyConfigSchema, verifyEventSchema } from "./config";
import { newestVerifiedReplica } from "./dr-age";
import { markExpired } from "./expiry";
import { type DumpVerdict, dumpsOf, verifyDumps } from "./verify";

const s3 = new S3Client({});

/** Metric names the stack's alarms watch (dimension Database). */
export const VERIFY_METRICS = {
  age: "NewestGoodDumpAgeSeconds",
  failed: "DumpVerificationFailed",
  marked: "DumpsMarkedForExpiry",
  expiryFailed: "DumpExpiryFailed",
  drAge: "NewestDrDumpAgeSeconds",
} as const;

/** A database is not started with less than this left before Lambda's deadline (a dump is streamed whole). */
export const MIN_MS_TO_START = 120_000;

export interface VerifyDeps {
  readonly s3: S3Client;
  /** A client in the DR region (config.dr.region), when the dumps replicate there. */
  readonly drS3?: S3Client;
  readonly log: Log;
  readonly put: (
    metric: (typeof VERIFY_METRICS)[keyof typeof VERIFY_METRICS],
    database: string,
    value: number,
  ) => void;
  readonly remainingMs: () => number;
  readonly now: () => Date;
}

/**
 * Verifies the event's database (each has its own hourly schedule, so one large dump never starves another), or all
 * of them in turn. One database's error never stops the others; with too little time left the rest are skipped,
 * report nothing, and their age alarms (missing data is breaching) say so.
 */
export async function runVerify(
  event: { database?: string | undefined },
  config: VerifyConfig,
  deps: VerifyDeps,
): Promise<DumpVerdict[]> {
  const databases = event.database
    ? config.databases.filter((d) => d.database === event.database)
    : config.databases;
  if (databases.length === 0)
    throw new Error(
      `event.database "${event.database}" is not one of ${config.databases.map((d) => d.database).join(", ")}`,
    );
  const verdicts: DumpVerdict[] = [];
  for (const d of databases) {
    if (deps.remainingMs() < MIN_MS_TO_START) {
      deps.log.warn("not enough time left to verify this database; it reports nothing this run", {
        database: d.database,
      });
      continue;
    }
    let v: DumpVerdict;
    try {
      v = await verifyDumps(deps.s3, config.buckets, d.database, d.engine, deps.now(), config.maxCandidates);
    } catch (e) {
      v = {
        database: d.database,
        key: null,
        ok: false,
        problem: (e as Error).message,
        newestGoodAgeSeconds: null,
      };
    }
    deps.put(VERIFY_METRICS.failed, d.database, v.ok ? 0 : 1);
    // No good dump: no age datapoint, and the age alarm treats missing data as breaching.
    if (v.newestGoodAgeSeconds !== null) deps.put(VERIFY_METRICS.age, d.database, v.newestGoodAgeSeconds);
    if (v.ok) deps.log.info("newest dump verified", { ...v });
    else deps.log.error("dump verification failed", { ...v });
    verdicts.push(v);
    if (config.dr && deps.drS3) await reportDrAge(deps, config.dr.buckets, d.database);
    // Then mark what the tiers' retention lets go; a marking error is logged and never fails the verification.
    try {
      const dumps = await dumpsOf(deps.s3, config.buckets, d.database);
      const { marked } = await markExpired(
        deps.s3,
        dumps,
        v,
        {
          ...config.expiry,
          retentionDays: d.retentionDays,
          freshnessSeconds: d.freshnessSeconds ?? config.expiry.freshnessSeconds,
        },
        deps.now(),
        deps.log,
      );
      deps.put(VERIFY_METRICS.marked, d.database, marked.length);
      deps.put(VERIFY_METRICS.expiryFailed, d.database, 0);
    } catch (e) {
      // Nothing expires while marking fails (storage grows); its own alarm says so.
      deps.log.error("marking dumps for expiry failed", {
        database: d.database,
        error: (e as Error).message,
      });
      deps.put(VERIFY_METRICS.expiryFailed, d.database, 1);
    }
  }
  return verdicts;
}

/** The newest verified DR copy's age; none (or an error) reports nothing, which the DR age alarm counts as breaching. */
async function reportDrAge(deps: VerifyDeps, buckets: readonly string[], database: string): Promise<void> {
  try {
    const dr = await newestVerifiedReplica(deps.drS3!, buckets, database, deps.now());
    if (dr.ageSeconds !== null) deps.put(VERIFY_METRICS.drAge, database, dr.ageSeconds);
    if (dr.key) deps.log.info("newest verified DR copy", { database, ...dr });
    else deps.log.warn("no verified DR copy among the newest replicas", { database, ...dr });
  } catch (e) {
    deps.log.error("reading the DR copies failed", { database, error: (e as Error).message });
  }
}

/** One client per DR region, made on first use (module scope, so warm invocations reuse it). */
const drClients = new Map<string, S3Client>();
function drClient(region: string): S3Client {
  const known = drClients.get(region);
  if (known) return known;
  const made = new S3Client({ region });
  drClients.set(region, made);
  return made;
}

export const handler = defineJob({
  job: "logical-backup-verify",
  event: verifyEventSchema,
  config: verifyConfigSchema,
  run: (event, ctx) =>
    runVerify(event, ctx.config, {
      s3,
      ...(ctx.config.dr ? { drS3: drClient(ctx.config.dr.region) } : {}),
      log: toLog(ctx.logger),
      put: (metric, database, value) =>
        putDimensioned(ctx.metrics, { name: "Database", value: database }, [
          {
            metric,
            unit:
              metric === VERIFY_METRICS.age || metric === VERIFY_METRICS.drAge
                ? MetricUnit.Seconds
                : MetricUnit.Count,
            value,
          },
        ]),
      remainingMs: ctx.remainingMs,
      now: ctx.now,
    }),
});
