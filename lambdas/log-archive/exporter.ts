// Daily CloudWatch Logs export to S3 within AWS's limits: one export task at a time per account, a day exported only
// once it is complete (D+1 12:00 UTC), checkpoints that advance only after COMPLETED and objects exist, bounded
// backfill, and resumption across invocations and crashes without gaps or duplicates.
import {
  type CloudWatchLogsClient,
  CreateExportTaskCommand,
  DescribeExportTasksCommand,
  type ExportTask,
  LimitExceededException,
  paginateDescribeLogGroups,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { Log } from "../shared/log";

export interface ArchiveConfig {
  readonly bucket: string;
  readonly prefix: string;
  /** Exact log group names to export. */
  readonly logGroups: readonly string[];
  /** Prefixes: matching groups are exported and brought to `retentionDays`. */
  readonly logGroupPrefixes: readonly string[];
  readonly retentionDays: number;
  /** After an outage, export at most this many missed days back from the newest exportable day. */
  readonly maxBackfillDays: number;
}

/**
 * Where the state lives: one small JSON object per log group under `_checkpoints/` in the archive bucket. It sits
 * next to the data it describes, needs no extra resource (a DynamoDB table would), and the job runs with reserved
 * concurrency 1, so there is a single writer.
 */
export interface Checkpoint {
  readonly logGroup: string;
  /**
   * First day of the unbroken run of archived days that ends at lastArchivedDay (it moves up when days beyond the
   * backfill bound are skipped). Absent in checkpoints written before it was recorded: then unknown.
   */
  readonly archivedFrom?: string;
  /** Last day (YYYY-MM-DD, UTC) whose export completed and whose objects were seen in the bucket. */
  readonly lastArchivedDay: string | null;
  /** An export intended or started for `day`, recorded *before* CreateExportTask so a crash leaves a trace. */
  readonly pending?: { readonly day: string; readonly taskName: string; readonly taskId?: string };
}

export interface ExporterDeps {
  readonly logs: Pick<CloudWatchLogsClient, "send">;
  readonly s3: Pick<S3Client, "send">;
  readonly log: Log;
  readonly now: () => Date;
  /** Milliseconds left before the Lambda deadline. */
  readonly remainingMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** Stop starting work when less than this is left. @default 60_000 */
  readonly safetyMarginMs?: number;
  readonly pollIntervalMs?: number;
}

export interface GroupOutcome {
  readonly logGroup: string;
  readonly archivedThrough: string | null;
  readonly daysBehind: number;
  readonly exported: string[];
  readonly failed: string[];
}

export interface ArchiveResult {
  readonly retentionChanged: { logGroup: string; from: number | null; to: number }[];
  /** Prefix-matched groups whose longer retention was left alone: shortening it now would delete unarchived logs. */
  readonly retentionKept: { logGroup: string; current: number | null; wanted: number; reason: string }[];
  readonly groups: GroupOutcome[];
  /** Another export (anyone's) holds the account's single slot; the run stopped and the next one resumes. */
  readonly busy: boolean;
  /** The deadline came before all work was done; the next run resumes from the checkpoints. */
  readonly deferred: boolean;
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const dayStart = (day: string) => Date.parse(`${day}T00:00:00Z`);

/** Day D is exportable once D+1 12:00 UTC has passed (logs can take up to 12 hours to become exportable). */
export function newestExportableDay(now: Date): string {
  return iso(now.getTime() - 36 * 3_600_000);
}

/** Deterministic per group and day, so a restarted run finds the task it may already have created. */
export function taskName(logGroup: string, day: string): string {
  return `mstack-${logGroup.replace(/[^A-Za-z0-9_.-]/g, "_")}-${day}`.slice(0, 512);
}

export function destinationPrefix(prefix: string, logGroup: string, day: string): string {
  const [y, m, d] = day.split("-");
  return `${prefix.replace(/\/$/, "")}/${logGroup.replace(/^\/+/, "")}/${y}/${m}/${d}`;
}

const checkpointKey = (logGroup: string) =>
  `_checkpoints/${logGroup.replace(/^\/+/, "").replace(/\//g, "__")}.json`;

/** The group's checkpoint; a group without one starts its archive at `start` (nothing is written until it exports). */
async function readCheckpoint(
  s3: ExporterDeps["s3"],
  bucket: string,
  logGroup: string,
  start: string,
): Promise<Checkpoint> {
  let text: string;
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: checkpointKey(logGroup) }));
    text = await out.Body!.transformToString();
  } catch (e) {
    if (e instanceof NoSuchKey || (e as { name?: string }).name === "NoSuchKey")
      return { logGroup, archivedFrom: start, lastArchivedDay: null };
    throw e;
  }
  const problem = checkpointProblem(text, logGroup);
  if (problem) throw new CorruptCheckpoint(`${checkpointKey(logGroup)}: ${problem}`);
  return JSON.parse(text) as Checkpoint;
}

/** A checkpoint that is not what this job writes: its group is reported failed, and nothing is cut for it. */
export class CorruptCheckpoint extends Error {
  override name = "CorruptCheckpoint";
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

/** Why `text` is not a checkpoint of `logGroup`, or null when it is one. */
export function checkpointProblem(text: string, logGroup: string): string | null {
  let cp: Record<string, unknown>;
  try {
    cp = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return "not JSON";
  }
  if (cp === null || typeof cp !== "object" || Array.isArray(cp)) return "not an object";
  if (cp.logGroup !== logGroup) return `logGroup is ${JSON.stringify(cp.logGroup)}, not ${logGroup}`;
  if (
    cp.lastArchivedDay !== null &&
    !(typeof cp.lastArchivedDay === "string" && DAY_RE.test(cp.lastArchivedDay))
  )
    return "lastArchivedDay is neither null nor a YYYY-MM-DD day";
  if (cp.archivedFrom !== undefined && !(typeof cp.archivedFrom === "string" && DAY_RE.test(cp.archivedFrom)))
    return "archivedFrom is not a YYYY-MM-DD day";
  const pending = cp.pending as Record<string, unknown> | undefined;
  if (
    pending !== undefined &&
    !(typeof pending?.day === "string" && DAY_RE.test(pending.day) && typeof pending.taskName === "string")
  )
    return "pending is not {day, taskName}";
  return null;
}

async function writeCheckpoint(s3: ExporterDeps["s3"], bucket: string, cp: Checkpoint): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: checkpointKey(cp.logGroup),
      Body: JSON.stringify(cp),
      ContentType: "application/json",
    }),
  );
}

async function findTask(
  logs: ExporterDeps["logs"],
  name: string,
  taskId?: string,
): Promise<ExportTask | undefined> {
  if (taskId) {
    const out = await logs.send(new DescribeExportTasksCommand({ taskId }));
    return out.exportTasks?.[0];
  }
  let nextToken: string | undefined;
  do {
    const out = await logs.send(new DescribeExportTasksCommand({ ...(nextToken ? { nextToken } : {}) }));
    const hit = out.exportTasks?.find((t) => t.taskName === name);
    if (hit) return hit;
    nextToken = out.nextToken;
  } while (nextToken);
  return undefined;
}

async function objectsExist(s3: ExporterDeps["s3"], bucket: string, prefix: string): Promise<boolean> {
  const out = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, MaxKeys: 1 }));
  return (out.KeyCount ?? out.Contents?.length ?? 0) > 0;
}

/** A group to export. Prefix-matched groups are the job's to bring to `retentionDays`; named ones are not. */
interface FoundGroup {
  readonly name: string;
  readonly byPrefix: boolean;
  /** Its retention when found (undefined: never expires). */
  readonly retentionInDays?: number;
  /** The first day it can hold logs (from its creation time), when known. */
  readonly createdDay?: string;
}

async function setRetention(
  deps: ExporterDeps,
  result: ArchiveResult,
  g: FoundGroup,
  retentionInDays: number,
): Promise<void> {
  await deps.logs.send(new PutRetentionPolicyCommand({ logGroupName: g.name, retentionInDays }));
  result.retentionChanged.push({ logGroup: g.name, from: g.retentionInDays ?? null, to: retentionInDays });
  deps.log.info("retention set", {
    logGroup: g.name,
    from: g.retentionInDays ?? "never expire",
    to: retentionInDays,
  });
}

/**
 * Every log group to export: the exact names plus every group under the prefixes (paginated). A prefix-matched group
 * with a shorter retention than `retentionDays` gets it at once (that deletes nothing); a longer one is shortened
 * only at the end of the run, by shortenRetention, once its archive holds what the cut would delete.
 */
async function listGroups(
  config: ArchiveConfig,
  deps: ExporterDeps,
  result: ArchiveResult,
): Promise<FoundGroup[]> {
  const groups = new Map<string, FoundGroup>(
    config.logGroups.map((name) => [name, { name, byPrefix: false }]),
  );
  for (const prefix of config.logGroupPrefixes) {
    for await (const page of paginateDescribeLogGroups(
      { client: deps.logs as CloudWatchLogsClient },
      { logGroupNamePrefix: prefix },
    )) {
      for (const g of page.logGroups ?? []) {
        if (!g.logGroupName) continue;
        const found: FoundGroup = {
          name: g.logGroupName,
          byPrefix: true,
          ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
          ...(g.creationTime !== undefined ? { createdDay: iso(g.creationTime) } : {}),
        };
        groups.set(found.name, found);
        if (found.retentionInDays !== undefined && found.retentionInDays < config.retentionDays)
          await setRetention(deps, result, found, config.retentionDays);
      }
    }
  }
  return [...groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The oldest day a group found under a prefix still holds: its creation day, or as far back as its current
 * retention keeps (undefined: unknown, a never-expiring group without a creation time).
 */
function oldestHeldDay(g: FoundGroup, now: Date): string | undefined {
  const kept = g.retentionInDays !== undefined ? iso(now.getTime() - g.retentionInDays * DAY) : undefined;
  if (kept === undefined) return g.createdDay;
  return g.createdDay !== undefined && g.createdDay > kept ? g.createdDay : kept;
}

/**
 * Where the archive of a group without a checkpoint starts. A named group starts at the newest exportable day (the
 * stack's own groups; their history is theirs to keep). A group found under a prefix is the job's to shorten, so
 * its archive starts at the oldest logs it still holds that the backfill bound allows: its history is archived
 * before any retention cut could delete it.
 */
function startDay(g: FoundGroup, newest: string, floor: string, now: Date): string {
  if (!g.byPrefix) return newest;
  const oldest = oldestHeldDay(g, now);
  return oldest !== undefined && oldest > floor ? oldest : floor;
}

/**
 * Why a prefix-matched group's retention may not be cut to `retentionDays` yet, or null when it may: the cut
 * deletes logs older than `retentionDays`, and it waits until the archive holds every day of those, from the oldest
 * the group still holds (an unbroken run from archivedFrom) through the cut day. Days older than the backfill bound
 * when the group was found are in no archive: a never-expiring group older than that keeps its retention (an
 * operator sets it by hand once those logs may go), while a finite one is cut once its own retention has aged them
 * out.
 */
function keepRetentionReason(g: FoundGroup, cp: Checkpoint, retentionDays: number, now: Date): string | null {
  const cut = iso(now.getTime() - retentionDays * DAY);
  const oldest = oldestHeldDay(g, now);
  if (oldest === undefined)
    return "it never expires and its creation time is unknown, so what the cut would delete cannot be checked";
  if (oldest > cut) return null; // everything it holds is newer than the cut: nothing is deleted
  if (cp.archivedFrom === undefined)
    return "its checkpoint does not record the archive's first day (written by an earlier version); set its retention by hand once its older logs may go";
  if (cp.archivedFrom > oldest)
    return `its logs from ${oldest} to ${iso(dayStart(cp.archivedFrom) - DAY)} are in no archive (older than maxBackfillDays when it was found); set its retention by hand once they may go`;
  if (cp.lastArchivedDay === null || cp.lastArchivedDay < cut)
    return `its archive reaches ${cp.lastArchivedDay ?? "no day yet"}; the new retention would delete its logs through ${cut}`;
  return null;
}

/** At the end of a run, with every checkpoint as it now stands: shorten what may be shortened, report the rest. */
async function shortenRetention(
  config: ArchiveConfig,
  deps: ExporterDeps,
  result: ArchiveResult,
  groups: readonly FoundGroup[],
  checkpoints: ReadonlyMap<string, Checkpoint>,
): Promise<void> {
  for (const g of groups) {
    if (!g.byPrefix || (g.retentionInDays !== undefined && g.retentionInDays <= config.retentionDays))
      continue;
    const cp = checkpoints.get(g.name);
    if (!cp) continue;
    const reason = keepRetentionReason(g, cp, config.retentionDays, deps.now());
    if (reason === null) {
      await setRetention(deps, result, g, config.retentionDays);
      continue;
    }
    const kept = {
      logGroup: g.name,
      current: g.retentionInDays ?? null,
      wanted: config.retentionDays,
      reason,
    };
    result.retentionKept.push(kept);
    deps.log.warn(
      "retention kept longer than hotRetentionDays: a cut now would delete unarchived logs",
      kept,
    );
  }
}

class Busy extends Error {}
class OutOfTime extends Error {}

export async function runArchive(config: ArchiveConfig, deps: ExporterDeps): Promise<ArchiveResult> {
  const result = { retentionChanged: [], retentionKept: [], groups: [], busy: false, deferred: false } as {
    retentionChanged: ArchiveResult["retentionChanged"];
    retentionKept: ArchiveResult["retentionKept"];
    groups: GroupOutcome[];
    busy: boolean;
    deferred: boolean;
  };
  const margin = deps.safetyMarginMs ?? 60_000;
  const poll = deps.pollIntervalMs ?? 15_000;
  const newest = newestExportableDay(deps.now());
  const floor = iso(dayStart(newest) - (config.maxBackfillDays - 1) * DAY);
  const found = await listGroups(config, deps, result);
  const groups = found.map((g) => g.name);
  const checkpoints = new Map<string, Checkpoint>();
  const read = async (g: FoundGroup) => {
    const cp = await readCheckpoint(deps.s3, config.bucket, g.name, startDay(g, newest, floor, deps.now()));
    checkpoints.set(g.name, cp);
    return cp;
  };
  /** The checkpoint without its pending export, keeping where the archive starts. */
  const settled = (c: Checkpoint, lastArchivedDay: string | null): Checkpoint => ({
    logGroup: c.logGroup,
    ...(c.archivedFrom !== undefined ? { archivedFrom: c.archivedFrom } : {}),
    lastArchivedDay,
  });

  /** A group whose checkpoint is corrupt: reported failed and as far behind as its hot retention, so both page. */
  const corrupt = (group: string, e: CorruptCheckpoint): GroupOutcome => {
    deps.log.error(
      "checkpoint unreadable: the group is not archived and its retention not cut until it is fixed",
      {
        logGroup: group,
        error: e.message,
      },
    );
    return {
      logGroup: group,
      archivedThrough: null,
      daysBehind: config.retentionDays,
      exported: [],
      failed: ["checkpoint"],
    };
  };

  for (const g of found) {
    const group = g.name;
    let cp: Checkpoint;
    try {
      cp = await read(g);
    } catch (e) {
      if (!(e instanceof CorruptCheckpoint)) throw e;
      result.groups.push(corrupt(group, e));
      continue;
    }
    const exported: string[] = [];
    const failed: string[] = [];
    try {
      for (;;) {
        const day =
          cp.pending?.day ??
          (cp.lastArchivedDay ? iso(dayStart(cp.lastArchivedDay) + DAY) : (cp.archivedFrom ?? newest));
        if (day > newest) break;
        if (!cp.pending && day < floor) {
          deps.log.warn("days beyond the backfill bound are skipped", {
            logGroup: group,
            from: day,
            to: iso(dayStart(floor) - DAY),
          });
          // The archive now has a gap: its unbroken run starts again at the bound.
          cp = { logGroup: group, archivedFrom: floor, lastArchivedDay: iso(dayStart(floor) - DAY) };
          checkpoints.set(group, cp);
          await writeCheckpoint(deps.s3, config.bucket, cp);
          continue;
        }
        if (deps.remainingMs() < margin) throw new OutOfTime();
        const name = taskName(group, day);
        const prefix = destinationPrefix(config.prefix, group, day);
        let task = cp.pending ? await findTask(deps.logs, cp.pending.taskName, cp.pending.taskId) : undefined;
        if (!task) {
          // Intent first: if we crash after CreateExportTask, the next run looks the task up by its name.
          cp = { ...cp, pending: { day, taskName: name } };
          checkpoints.set(group, cp);
          await writeCheckpoint(deps.s3, config.bucket, cp);
          const taskId = await createWithBackoff(deps, {
            taskName: name,
            logGroupName: group,
            from: dayStart(day),
            to: dayStart(day) + DAY - 1,
            destination: config.bucket,
            destinationPrefix: prefix,
          });
          cp = { ...cp, pending: { day, taskName: name, taskId } };
          checkpoints.set(group, cp);
          await writeCheckpoint(deps.s3, config.bucket, cp);
          deps.log.info("export started", { logGroup: group, day, taskId });
          task = { taskId, taskName: name, status: { code: "PENDING" } };
        }
        // Poll until the task ends or the deadline nears (then the pending checkpoint resumes it next run).
        while (
          task.status?.code === "PENDING" ||
          task.status?.code === "RUNNING" ||
          task.status?.code === "PENDING_CANCEL"
        ) {
          if (deps.remainingMs() < margin) throw new OutOfTime();
          await deps.sleep(poll);
          task = (await findTask(deps.logs, name, task.taskId)) ?? task;
        }
        if (task.status?.code === "COMPLETED" && (await objectsExist(deps.s3, config.bucket, prefix))) {
          cp = settled(cp, day);
          checkpoints.set(group, cp);
          await writeCheckpoint(deps.s3, config.bucket, cp);
          exported.push(day);
          deps.log.info("day archived", { logGroup: group, day });
          continue;
        }
        // FAILED, CANCELLED, or COMPLETED without objects: the day is not archived; retry it next run.
        failed.push(day);
        deps.log.error("export did not archive the day", {
          logGroup: group,
          day,
          status: task.status?.code,
          // Not `message`: Powertools reserves that key for the log line itself and drops the field.
          statusMessage: task.status?.message,
        });
        cp = settled(cp, cp.lastArchivedDay);
        checkpoints.set(group, cp);
        await writeCheckpoint(deps.s3, config.bucket, cp);
        break;
      }
    } catch (e) {
      if (e instanceof Busy) result.busy = true;
      else if (e instanceof OutOfTime) result.deferred = true;
      else throw e;
    }
    const through = cp.lastArchivedDay;
    result.groups.push({
      logGroup: group,
      archivedThrough: through,
      daysBehind: through ? Math.round((dayStart(newest) - dayStart(through)) / DAY) : config.maxBackfillDays,
      exported,
      failed,
    });
    if (result.busy || result.deferred) {
      // Later groups keep their checkpoints; report them so the metrics still show how far behind they are.
      for (const restGroup of found.slice(groups.indexOf(group) + 1)) {
        const rest = restGroup.name;
        let other: Checkpoint;
        try {
          other = await read(restGroup);
        } catch (e) {
          if (!(e instanceof CorruptCheckpoint)) throw e;
          result.groups.push(corrupt(rest, e));
          continue;
        }
        result.groups.push({
          logGroup: rest,
          archivedThrough: other.lastArchivedDay,
          daysBehind: other.lastArchivedDay
            ? Math.round((dayStart(newest) - dayStart(other.lastArchivedDay)) / DAY)
            : config.maxBackfillDays,
          exported: [],
          failed: [],
        });
      }
      break;
    }
  }
  await shortenRetention(config, deps, result, found, checkpoints);
  return result;
}

/** LimitExceededException means the account's one export slot is taken: back off a little, then give the run up. */
async function createWithBackoff(
  deps: ExporterDeps,
  input: ConstructorParameters<typeof CreateExportTaskCommand>[0],
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      const out = await deps.logs.send(new CreateExportTaskCommand(input));
      return out.taskId!;
    } catch (e) {
      if (
        !(e instanceof LimitExceededException || (e as { name?: string }).name === "LimitExceededException")
      )
        throw e;
      if (attempt >= 2 || deps.remainingMs() < (deps.safetyMarginMs ?? 60_000) * 2) {
        deps.log.info("another export task is running in the account; resuming next run", {
          taskName: input.taskName,
        });
        throw new Busy();
      }
      await deps.sleep(5_000 * 2 ** attempt);
    }
  }
}
