// The restore drill: restore the newest verified dump of a tier into a throwaway database (the task's sidecar), time
// it until the first query answers, compare every table's rows with the dump's manifest, run the read-only checks,
// and report (JSON and Markdown in S3, metrics). It is given no connection to the source database at all.
import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Log } from "../shared/log";
import type { DrillCheck, DrillConfig } from "./drill-config";
import { lastPassKey, reportKey } from "./drill-config";
import { ChecksumMismatchError, fetchDump } from "./dump-file";
import { drillMarkdown } from "./drill-report";
import { countStatement, countsByIndex, type DumpManifest, manifestKey } from "./manifest";
import { query, quoteIdent, type SqlConnection } from "./sql";
import { dumpsOf, isFromTheFuture, type StoredDump, VERIFIED_TAG } from "./verify";

export type DrillMetric = "RestoreSeconds" | "RestoredDataAgeSeconds" | "DrillChecksFailed" | "DrillFailed";

export interface DrillDeps {
  readonly s3: S3Client;
  readonly log: Log;
  readonly metrics: { put(name: DrillMetric, value: number): void };
  readonly now: () => Date;
  /** The sidecar trusts loopback and needs none; a test's local server does. */
  readonly targetPassword?: string;
}

export interface TableResult {
  readonly table: string;
  readonly expected: number;
  /** MySQL manifests bracket the dump: any count in [expected, expectedMax] matches. */
  readonly expectedMax?: number;
  readonly found: number | null;
  readonly ok: boolean;
}

export interface CheckResult {
  readonly name: string;
  readonly value: number | null;
  readonly min?: number;
  readonly max?: number;
  readonly ok: boolean;
  readonly error?: string;
}

export interface DrillReport {
  readonly format: 1;
  readonly database: string;
  readonly engine: "postgres" | "mysql";
  readonly tier: string;
  readonly scheduledTime: string;
  readonly dump: {
    readonly bucket: string;
    readonly key: string;
    readonly slot: string;
    readonly sha256: string | null;
    readonly bytes: number | null;
  } | null;
  readonly manifest: { readonly consistency: string; readonly serverVersion: string } | null;
  readonly targetVersion: string | null;
  readonly restore: {
    readonly startedAt: string;
    readonly endedAt: string;
    readonly firstQueryAt: string | null;
    /** Restore start to the first successful query: the drill's RTO. */
    readonly secondsToFirstQuery: number | null;
    readonly timedOut: boolean;
    readonly jobs: number;
  } | null;
  /** Restore start minus the dump's slot: the data this restore would have lost (the RPO proxy). */
  readonly dataAgeSeconds: number | null;
  readonly tables: readonly TableResult[];
  readonly checks: readonly CheckResult[];
  readonly problems: readonly string[];
  readonly verdict: "pass" | "fail" | "timed-out";
}

export class DrillFailedError extends Error {
  override name = "DrillFailedError";
}

/** Major version of a server_version / VERSION() string: PostgreSQL's first number, MySQL/MariaDB's first two. */
export function majorOf(engine: "postgres" | "mysql", version: string): string {
  const m = /^(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) return version;
  return engine === "postgres" || Number(m[1]) < 10 ? m[1]! : `${m[1]}.${m[2] ?? "0"}`;
}

const stamp = (d: Date) => d.toISOString().slice(0, 19).replace(/[-:]/g, "");

/** The newest verified dump of the tier (tag verified=ok), looking at up to maxCandidates, never one from the future. */
export async function newestVerifiedDump(
  s3: S3Client,
  config: Pick<DrillConfig, "buckets" | "database" | "tier" | "maxCandidates">,
  now: Date,
): Promise<StoredDump | null> {
  // Only the drill's tier is listed: its role may list nothing else.
  const candidates = (await dumpsOf(s3, config.buckets, config.database, [config.tier]))
    .filter((d) => !isFromTheFuture(d, now))
    .slice(0, config.maxCandidates);
  for (const d of candidates) {
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: d.bucket, Key: d.key }));
    if (tags.TagSet?.some((t) => t.Key === VERIFIED_TAG && t.Value === "ok")) return d;
  }
  return null;
}

async function readManifest(s3: S3Client, d: StoredDump): Promise<DumpManifest | null> {
  try {
    const obj = await s3.send(new GetObjectCommand({ Bucket: d.bucket, Key: manifestKey(d.key) }));
    return JSON.parse(await obj.Body!.transformToString()) as DumpManifest;
  } catch (e) {
    const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (e as Error).name === "NoSuchKey") return null;
    throw e;
  }
}

/** pg_restore (parallel, from the seekable file) or mysql (one stream) into the scratch database, with a deadline. */
function restoreProcess(
  config: DrillConfig,
  target: SqlConnection,
  file: string,
): { done: Promise<{ code: number; stderr: string; timedOut: boolean }> } {
  const env = {
    PATH: process.env.PATH ?? "",
    ...(target.password !== undefined
      ? config.engine === "postgres"
        ? { PGPASSWORD: target.password }
        : { MYSQL_PWD: target.password }
      : {}),
  };
  const child =
    config.engine === "postgres"
      ? spawn(
          "pg_restore",
          [
            "--no-owner",
            "--no-privileges",
            "--no-password",
            `--jobs=${config.restoreJobs}`,
            `--host=${target.host}`,
            `--port=${target.port}`,
            `--username=${target.user}`,
            `--dbname=${target.database}`,
            file,
          ],
          { env, stdio: ["ignore", "ignore", "pipe"] },
        )
      : spawn(
          "mysql",
          [`--host=${target.host}`, `--port=${target.port}`, `--user=${target.user}`, target.database],
          { env, stdio: ["pipe", "ignore", "pipe"] },
        );
  if (config.engine === "mysql") {
    const input = createReadStream(file);
    input.pipe(child.stdin!);
    child.stdin!.on("error", () => input.destroy());
  }
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, config.restoreTimeoutSeconds * 1000);
  const done = new Promise<{ code: number; stderr: string; timedOut: boolean }>((resolve) => {
    child.once("error", (e) => {
      stderr += e.message;
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stderr, timedOut });
    });
  });
  return { done };
}

/** Polls `SELECT 1` until the restored database answers, or the ready timeout passes. */
async function firstQuery(target: SqlConnection, timeoutMs: number, now: () => Date): Promise<Date | null> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      await query(target, "SELECT 1", 10_000);
      return now();
    } catch {
      if (Date.now() > until) return null;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** The manifest's tables counted in the restored database, each matched against what the dump held. */
export async function compareCounts(target: SqlConnection, manifest: DumpManifest): Promise<TableResult[]> {
  const tables = manifest.tables;
  let counts: (number | null)[] = tables.map(() => null);
  if (tables.length > 0) {
    try {
      counts = countsByIndex(
        await query(target, readOnly(target.engine, countStatement(target.engine, tables)), 30 * 60_000),
        tables.length,
      );
    } catch {
      // One missing table fails the whole statement: count each on its own, so the report names it.
      counts = await Promise.all(
        tables.map((t) =>
          query(target, readOnly(target.engine, countStatement(target.engine, [t])), 30 * 60_000)
            .then((rows) => countsByIndex(rows, 1)[0]!)
            .catch(() => null),
        ),
      );
    }
  }
  return tables.map((t, i) => {
    const low = Math.min(t.rows, t.rowsAfter ?? t.rows);
    const high = Math.max(t.rows, t.rowsAfter ?? t.rows);
    const found = counts[i] ?? null;
    return {
      table: t.schema === undefined ? t.table : `${t.schema}.${t.table}`,
      expected: low,
      ...(high !== low ? { expectedMax: high } : {}),
      found,
      ok: found !== null && found >= low && found <= high,
    };
  });
}

/** Statements in a read-only transaction: the last result set is the SELECT's. */
function readOnly(engine: "postgres" | "mysql", sql: string): string {
  return engine === "postgres"
    ? `SET default_transaction_read_only = on; ${sql}`
    : `START TRANSACTION READ ONLY; ${sql}; COMMIT`;
}

/** The configured read-only checks: each one number, inside [min, max] when given; an error fails the check. */
export async function runChecks(
  target: SqlConnection,
  checks: readonly DrillCheck[],
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const c of checks) {
    const bounds = {
      ...(c.min !== undefined ? { min: c.min } : {}),
      ...(c.max !== undefined ? { max: c.max } : {}),
    };
    try {
      const rows = await query(target, readOnly(target.engine, c.sql), 10 * 60_000);
      const value = Number(rows.at(-1)?.[0]);
      if (rows.length === 0 || !Number.isFinite(value))
        out.push({ name: c.name, value: null, ...bounds, ok: false, error: "did not return one number" });
      else
        out.push({
          name: c.name,
          value,
          ...bounds,
          ok: (c.min === undefined || value >= c.min) && (c.max === undefined || value <= c.max),
        });
    } catch (e) {
      out.push({
        name: c.name,
        value: null,
        ...bounds,
        ok: false,
        error: (e as Error).message.slice(0, 300),
      });
    }
  }
  return out;
}

/** Runs one drill and returns its report (already stored and measured). A report that is not a pass throws after. */
export async function runDrill(
  event: { scheduledTime: string },
  config: DrillConfig,
  deps: DrillDeps,
): Promise<DrillReport> {
  // Whatever breaks (S3, a full disk, the sidecar), the run still leaves a report that says what did.
  const report = await drill(event, config, deps).catch(
    (e: Error): DrillReport => ({
      format: 1,
      database: config.database,
      engine: config.engine,
      tier: config.tier,
      scheduledTime: event.scheduledTime,
      dump: null,
      manifest: null,
      targetVersion: null,
      restore: null,
      dataAgeSeconds: null,
      tables: [],
      checks: [],
      problems: [`the drill stopped: ${e.message.slice(0, 500)}`],
      verdict: "fail",
    }),
  );
  await storeReport(deps.s3, config, report, deps.now());
  const failedChecks = report.tables.filter((t) => !t.ok).length + report.checks.filter((c) => !c.ok).length;
  if (report.restore?.secondsToFirstQuery != null || report.restore?.timedOut) {
    const s = report.restore;
    const seconds = s.secondsToFirstQuery ?? (Date.parse(s.endedAt) - Date.parse(s.startedAt)) / 1000;
    deps.metrics.put("RestoreSeconds", Math.round(seconds));
  }
  if (report.dataAgeSeconds !== null) deps.metrics.put("RestoredDataAgeSeconds", report.dataAgeSeconds);
  deps.metrics.put("DrillChecksFailed", failedChecks);
  deps.metrics.put("DrillFailed", report.verdict === "pass" ? 0 : 1);
  const log = report.verdict === "pass" ? deps.log.info : deps.log.error;
  log("restore drill finished", {
    database: config.database,
    verdict: report.verdict,
    dump: report.dump?.key,
    secondsToFirstQuery: report.restore?.secondsToFirstQuery,
    dataAgeSeconds: report.dataAgeSeconds,
    problems: report.problems,
  });
  if (report.verdict !== "pass")
    throw new DrillFailedError(
      `restore drill of ${config.database}: ${report.verdict}: ${report.problems.join("; ")}`,
    );
  return report;
}

async function drill(
  event: { scheduledTime: string },
  config: DrillConfig,
  deps: DrillDeps,
): Promise<DrillReport> {
  const problems: string[] = [];
  const base = {
    format: 1 as const,
    database: config.database,
    engine: config.engine,
    tier: config.tier,
    scheduledTime: event.scheduledTime,
  };
  const empty = {
    manifest: null,
    targetVersion: null,
    restore: null,
    dataAgeSeconds: null,
    tables: [],
    checks: [],
  };
  const picked = await newestVerifiedDump(deps.s3, config, deps.now());
  if (!picked) {
    problems.push(
      `no verified ${config.tier} dump of ${config.database} among the newest ${config.maxCandidates}`,
    );
    return { ...base, ...empty, dump: null, problems, verdict: "fail" };
  }
  const head = await deps.s3.send(new HeadObjectCommand({ Bucket: picked.bucket, Key: picked.key }));
  const recorded = head.Metadata?.sha256 ?? null;
  const dump = {
    bucket: picked.bucket,
    key: picked.key,
    slot: new Date(picked.at).toISOString(),
    sha256: recorded,
    bytes: head.ContentLength ?? null,
  };
  const manifest = await readManifest(deps.s3, picked);
  if (!manifest) problems.push(`${manifestKey(picked.key)} is missing: the restored rows cannot be checked`);
  else if (manifest.sha256 !== recorded)
    problems.push(
      `the manifest describes a dump with SHA-256 ${manifest.sha256}, not this one (${recorded})`,
    );
  if (!recorded) {
    problems.push(`${picked.key} has no sha256 metadata`);
    return { ...base, ...empty, dump, problems, verdict: "fail" };
  }
  const dir = join(config.workDir, `drill-${stamp(deps.now())}`);
  await mkdir(dir, { recursive: true });
  try {
    try {
      await fetchDump(deps.s3, picked, join(dir, "dump"), recorded);
    } catch (e) {
      if (!(e instanceof ChecksumMismatchError)) throw e;
      problems.push(e.message);
      return { ...base, ...empty, dump, problems, verdict: "fail" };
    }
    return await restoreAndCompare(base, config, deps, {
      dump,
      picked,
      manifest,
      file: join(dir, "dump"),
      problems,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function restoreAndCompare(
  base: Pick<DrillReport, "format" | "database" | "engine" | "tier" | "scheduledTime">,
  config: DrillConfig,
  deps: DrillDeps,
  got: {
    dump: NonNullable<DrillReport["dump"]>;
    picked: StoredDump;
    manifest: DumpManifest | null;
    file: string;
    problems: string[];
  },
): Promise<DrillReport> {
  const { problems, manifest } = got;
  const password = deps.targetPassword !== undefined ? { password: deps.targetPassword } : {};
  const admin: SqlConnection = {
    engine: config.engine,
    host: config.target.host,
    port: config.target.port,
    user: config.target.user,
    database: config.target.maintenanceDatabase,
    ...password,
  };
  // The sidecar is up (the task's health check) but may still be starting: its first answer is awaited too.
  if (!(await firstQuery(admin, config.readyTimeoutSeconds * 1000, deps.now))) {
    problems.push(`the target database did not answer within ${config.readyTimeoutSeconds}s`);
    return {
      ...base,
      dump: got.dump,
      manifest: manifestSummary(manifest),
      targetVersion: null,
      restore: null,
      dataAgeSeconds: null,
      tables: [],
      checks: [],
      problems,
      verdict: "fail",
    };
  }
  const targetVersion =
    (await query(admin, config.engine === "postgres" ? "SHOW server_version" : "SELECT VERSION()"))[0]?.[0] ??
    "";
  if (majorOf(config.engine, targetVersion) !== config.majorVersion)
    problems.push(
      `the target runs ${targetVersion}, not the configured major version ${config.majorVersion}`,
    );
  if (manifest && majorOf(config.engine, manifest.serverVersion) !== majorOf(config.engine, targetVersion))
    problems.push(
      `the dump comes from ${manifest.serverVersion}, the target runs ${targetVersion}: the drill must restore into the source's major version`,
    );
  const scratch = `drill_${stamp(new Date(got.picked.at))}_${stamp(deps.now())}`.toLowerCase();
  await query(admin, `CREATE DATABASE ${quoteIdent(config.engine, scratch)}`);
  const target: SqlConnection = { ...admin, database: scratch };
  try {
    const startedAt = deps.now();
    const restored = await restoreProcess(config, target, got.file).done;
    const endedAt = deps.now();
    const firstQueryAt = restored.timedOut
      ? null
      : await firstQuery(target, config.readyTimeoutSeconds * 1000, deps.now);
    const restore = {
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      firstQueryAt: firstQueryAt?.toISOString() ?? null,
      secondsToFirstQuery: firstQueryAt
        ? Math.round((firstQueryAt.getTime() - startedAt.getTime()) / 10) / 100
        : null,
      timedOut: restored.timedOut,
      jobs: config.engine === "postgres" ? config.restoreJobs : 1,
    };
    const dataAgeSeconds = Math.max(0, Math.round((startedAt.getTime() - got.picked.at) / 1000));
    const common = {
      ...base,
      dump: got.dump,
      manifest: manifestSummary(manifest),
      targetVersion,
      restore,
      dataAgeSeconds,
    };
    if (restored.timedOut) {
      problems.push(`the restore did not finish within ${config.restoreTimeoutSeconds}s and was stopped`);
      return { ...common, tables: [], checks: [], problems, verdict: "timed-out" };
    }
    if (restored.code !== 0)
      problems.push(
        `${config.engine === "postgres" ? "pg_restore" : "mysql"} exited ${restored.code}: ${restored.stderr.trim().slice(0, 500)}`,
      );
    if (!firstQueryAt)
      problems.push(`the restored database did not answer within ${config.readyTimeoutSeconds}s`);
    const tables = manifest && firstQueryAt ? await compareCounts(target, manifest) : [];
    for (const t of tables.filter((x) => !x.ok))
      problems.push(
        `${t.table}: ${t.found ?? "no table"} rows, the dump held ${t.expected}${t.expectedMax !== undefined ? `-${t.expectedMax}` : ""}`,
      );
    const checks = firstQueryAt ? await runChecks(target, config.checks) : [];
    for (const c of checks.filter((x) => !x.ok))
      problems.push(
        `check ${c.name}: ${c.error ?? `${c.value} outside [${c.min ?? "-inf"}, ${c.max ?? "inf"}]`}`,
      );
    return { ...common, tables, checks, problems, verdict: problems.length === 0 ? "pass" : "fail" };
  } finally {
    // Teardown: the sidecar goes with the task; a local target loses its scratch database.
    await query(
      admin,
      config.engine === "postgres"
        ? `DROP DATABASE IF EXISTS ${quoteIdent("postgres", scratch)} WITH (FORCE)`
        : `DROP DATABASE IF EXISTS ${quoteIdent("mysql", scratch)}`,
    ).catch((e: Error) => deps.log.warn("scratch database not dropped", { scratch, error: e.message }));
  }
}

const manifestSummary = (m: DumpManifest | null) =>
  m ? { consistency: m.consistency, serverVersion: m.serverVersion } : null;

/** The report as JSON and Markdown under `<database>/<run>`, and `last-pass.json` after a pass (the age report's input). */
export async function storeReport(
  s3: Pick<S3Client, "send">,
  config: Pick<DrillConfig, "reportsBucket" | "kmsKeyArn" | "database">,
  report: DrillReport,
  at: Date,
): Promise<string> {
  const key = reportKey(config.database, at);
  const put = (Key: string, Body: string, ContentType: string) =>
    s3.send(
      new PutObjectCommand({
        Bucket: config.reportsBucket,
        Key,
        Body,
        ContentType,
        ServerSideEncryption: "aws:kms",
        SSEKMSKeyId: config.kmsKeyArn,
      }),
    );
  await put(`${key}.json`, `${JSON.stringify(report, null, 2)}\n`, "application/json");
  await put(`${key}.md`, drillMarkdown(report), "text/markdown; charset=utf-8");
  if (report.verdict === "pass")
    await put(
      lastPassKey(config.database),
      JSON.stringify({ at: at.toISOString(), report: `${key}.json`, dumpSlot: report.dump?.slot }),
      "application/json",
    );
  return key;
}
