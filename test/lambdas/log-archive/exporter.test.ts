// The exporter against stateful CloudWatch Logs and S3 fakes: busy accounts, failures, deadlines, crashes, backfills.
import {
  CloudWatchLogsClient,
  CreateExportTaskCommand,
  DescribeExportTasksCommand,
  DescribeLogGroupsCommand,
  LimitExceededException,
  PutRetentionPolicyCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import {
  type ArchiveConfig,
  checkpointProblem,
  destinationPrefix,
  newestExportableDay,
  runArchive,
} from "../../../lambdas/log-archive/exporter";

const NOW = new Date("2027-03-10T13:00:00Z"); // newest exportable day: 2027-03-09
const config: ArchiveConfig = {
  bucket: "archive",
  prefix: "logs",
  logGroups: ["/app/api"],
  logGroupPrefixes: [],
  retentionDays: 30,
  maxBackfillDays: 7,
};

interface Task {
  taskId: string;
  taskName: string;
  logGroupName: string;
  from: number;
  to: number;
  destinationPrefix: string;
  status: { code: string; message?: string };
  polls: number;
}

/** Someone else's export, holding the account's one export slot. */
const foreignTask = (): Task => ({
  taskId: "foreign-1",
  taskName: "theirs",
  logGroupName: "/other",
  from: 0,
  to: 1,
  destinationPrefix: "x",
  status: { code: "RUNNING" },
  polls: 0,
});

/** Fakes with controllable behaviour: how many polls a task runs for and how it ends. */
function setup(
  opts: {
    finishAfterPolls?: number;
    outcome?: "COMPLETED" | "FAILED" | "CANCELLED";
    writeObjects?: boolean;
    /** A task that ends otherwise than COMPLETED still leaves part of its objects (S3 writes are not undone). */
    partialObjects?: boolean;
  } = {},
) {
  const logsClient = new CloudWatchLogsClient({});
  const s3Client = new S3Client({});
  const logs = mockClient(logsClient);
  const s3 = mockClient(s3Client);
  const tasks: Task[] = [];
  const objects = new Map<string, string>();
  let ids = 0;
  const progress = () => {
    for (const t of tasks.filter((x) => x.status.code === "RUNNING" && !x.taskId.startsWith("foreign"))) {
      if (++t.polls >= (opts.finishAfterPolls ?? 1)) {
        t.status = {
          code: opts.outcome ?? "COMPLETED",
          ...(opts.outcome === "FAILED" ? { message: "Access Denied for bucket archive" } : {}),
        };
        if ((t.status.code === "COMPLETED" && opts.writeObjects !== false) || opts.partialObjects)
          objects.set(`${t.destinationPrefix}/${t.taskId}/stream/000000.gz`, "x");
      }
    }
  };
  logs.on(CreateExportTaskCommand).callsFake((input) => {
    if (tasks.some((t) => t.status.code === "RUNNING" || t.status.code === "PENDING")) {
      throw new LimitExceededException({ message: "Resource limit exceeded.", $metadata: {} });
    }
    const t: Task = { taskId: `task-${++ids}`, polls: 0, status: { code: "RUNNING" }, ...input } as Task;
    tasks.push(t);
    return { taskId: t.taskId };
  });
  logs.on(DescribeExportTasksCommand).callsFake((input) => {
    const list = input.taskId ? tasks.filter((t) => t.taskId === input.taskId) : tasks;
    // Two per page, to make name lookups page.
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const page = list.slice(start, start + 2);
    return {
      exportTasks: page.map((t) => ({ taskId: t.taskId, taskName: t.taskName, status: t.status })),
      ...(start + 2 < list.length ? { nextToken: String(start + 2) } : {}),
    };
  });
  s3.on(GetObjectCommand).callsFake((input) => {
    const body = objects.get(input.Key);
    if (body === undefined) throw new NoSuchKey({ message: "NoSuchKey", $metadata: {} });
    return { Body: { transformToString: async () => body } };
  });
  s3.on(PutObjectCommand).callsFake((input) => {
    objects.set(input.Key, String(input.Body));
    return {};
  });
  s3.on(ListObjectsV2Command).callsFake((input) => {
    const keys = [...objects.keys()].filter((k) => k.startsWith(input.Prefix ?? ""));
    return {
      KeyCount: Math.min(keys.length, input.MaxKeys ?? 1000),
      Contents: keys.slice(0, input.MaxKeys).map((Key) => ({ Key })),
    };
  });
  let remaining = 600_000;
  const deps = {
    logs: logsClient,
    s3: s3Client,
    log: { info: () => {}, warn: () => {}, error: () => {} },
    now: () => NOW,
    remainingMs: () => remaining,
    sleep: async (ms: number) => {
      remaining -= ms;
      progress();
    },
    safetyMarginMs: 60_000,
    pollIntervalMs: 15_000,
  };
  const checkpoint = (group = "/app/api") =>
    JSON.parse(objects.get(`_checkpoints/${group.replace(/^\/+/, "").replace(/\//g, "__")}.json`) ?? "null");
  const setCheckpoint = (cp: object, group = "/app/api") =>
    objects.set(`_checkpoints/${group.replace(/^\/+/, "").replace(/\//g, "__")}.json`, JSON.stringify(cp));
  const created = () => logs.commandCalls(CreateExportTaskCommand).map((c) => c.args[0].input);
  return {
    logs,
    s3,
    tasks,
    objects,
    deps,
    checkpoint,
    setCheckpoint,
    created,
    setRemaining: (ms: number) => (remaining = ms),
  };
}

describe("log export", () => {
  it("exports day D only after D+1 12:00 UTC", () => {
    expect(newestExportableDay(new Date("2027-03-10T11:59:00Z"))).toBe("2027-03-08");
    expect(newestExportableDay(new Date("2027-03-10T12:00:00Z"))).toBe("2027-03-09");
  });

  it("backfills several missed days one task at a time, advancing the checkpoint after each", async () => {
    const t = setup();
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-06" });
    const result = await runArchive(config, t.deps);
    expect(t.created()).toEqual(
      ["2027-03-07", "2027-03-08", "2027-03-09"].map((day) => ({
        taskName: `mstack-_app_api-${day}`,
        logGroupName: "/app/api",
        from: Date.parse(`${day}T00:00:00Z`),
        to: Date.parse(`${day}T00:00:00Z`) + 86_400_000 - 1,
        destination: "archive",
        destinationPrefix: `logs/app/api/${day.replace(/-/g, "/")}`,
      })),
    );
    expect(t.checkpoint()).toEqual({ logGroup: "/app/api", lastArchivedDay: "2027-03-09" });
    expect(result.groups).toEqual([
      {
        logGroup: "/app/api",
        archivedThrough: "2027-03-09",
        daysBehind: 0,
        exported: ["2027-03-07", "2027-03-08", "2027-03-09"],
        failed: [],
      },
    ]);
  });

  it("treats an account busy with someone else's export as 'try later': no failure, no spin, and one task afterwards", async () => {
    const t = setup();
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    t.tasks.push(foreignTask());
    const first = await runArchive(config, t.deps);
    expect(first.busy).toBe(true);
    expect(t.logs.commandCalls(CreateExportTaskCommand)).toHaveLength(3); // first try + 2 backoff retries, then give up
    expect(t.checkpoint()).toEqual({
      logGroup: "/app/api",
      lastArchivedDay: "2027-03-08",
      pending: { day: "2027-03-09", taskName: "mstack-_app_api-2027-03-09" },
    });
    t.tasks[0]!.status = { code: "COMPLETED" };
    const second = await runArchive(config, t.deps);
    expect(second.busy).toBe(false);
    expect(t.tasks.filter((x) => x.taskName === "mstack-_app_api-2027-03-09")).toHaveLength(1);
    expect(t.checkpoint()).toEqual({ logGroup: "/app/api", lastArchivedDay: "2027-03-09" });
  });

  it.each(["FAILED", "CANCELLED"] as const)(
    "does not advance past a %s task and retries the day next run",
    async (outcome) => {
      const t = setup({ outcome });
      t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
      const result = await runArchive(config, t.deps);
      expect(result.groups[0]).toMatchObject({
        archivedThrough: "2027-03-08",
        daysBehind: 1,
        exported: [],
        failed: ["2027-03-09"],
      });
      expect(t.checkpoint()).toEqual({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    },
  );

  it("reports a group with a corrupt checkpoint as failed and far behind, and still archives the other groups", async () => {
    const t = setup();
    const cfg = { ...config, logGroups: ["/app/api", "/app/worker"] };
    t.objects.set("_checkpoints/app__api.json", "{ not json");
    t.setCheckpoint({ logGroup: "/app/worker", lastArchivedDay: "2027-03-08" }, "/app/worker");
    const result = await runArchive(cfg, t.deps);
    expect(result.groups).toEqual([
      { logGroup: "/app/api", archivedThrough: null, daysBehind: 30, exported: [], failed: ["checkpoint"] },
      {
        logGroup: "/app/worker",
        archivedThrough: "2027-03-09",
        daysBehind: 0,
        exported: ["2027-03-09"],
        failed: [],
      },
    ]);
    // The corrupt checkpoint is left for an operator to read; nothing overwrote it.
    expect(t.objects.get("_checkpoints/app__api.json")).toBe("{ not json");
  });

  it.each([
    ['{"lastArchivedDay":"2027-03-06"}', /logGroup is undefined/],
    ['{"logGroup":"/other","lastArchivedDay":null}', /logGroup is "\/other"/],
    ['{"logGroup":"/app/api","lastArchivedDay":"March 6"}', /lastArchivedDay/],
    ['{"logGroup":"/app/api","lastArchivedDay":null,"pending":{"taskName":"x"}}', /pending/],
    ["[]", /not an object/],
    ["null", /not an object/],
    ["{ nope", /not JSON/],
    [
      '{"logGroup":"/app/api","lastArchivedDay":null,"archivedFrom":"2027-3-1"}',
      /archivedFrom is not a YYYY-MM-DD day/,
    ],
    ['{"logGroup":"/app/api","lastArchivedDay":null,"pending":{"day":"soon","taskName":"x"}}', /pending/],
    ['{"logGroup":"/app/api","lastArchivedDay":null,"pending":{"day":"2027-03-09"}}', /pending/],
  ])("rejects the checkpoint %s", (text, problem) => {
    expect(checkpointProblem(text, "/app/api")).toMatch(problem);
  });

  it.each([
    '{"logGroup":"/app/api","lastArchivedDay":null}',
    '{"logGroup":"/app/api","archivedFrom":"2027-03-01","lastArchivedDay":"2027-03-08","pending":{"day":"2027-03-09","taskName":"t","taskId":"1"}}',
  ])("accepts the checkpoint %s", (text) => expect(checkpointProblem(text, "/app/api")).toBeNull());

  it("puts a day's objects under prefix/group/yyyy/mm/dd, whatever slashes the prefix and group carry", () => {
    expect(destinationPrefix("logs/", "/app/api", "2027-03-09")).toBe("logs/app/api/2027/03/09");
    expect(destinationPrefix("logs", "//app/api", "2027-03-09")).toBe("logs/app/api/2027/03/09");
  });

  it("logs each day it starts and archives, and each span of days it skips", async () => {
    const t = setup();
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-01" });
    const lines: [string, string, Record<string, unknown>][] = [];
    const at = (level: string) => (m: string, f?: Record<string, unknown>) =>
      void lines.push([level, m, f ?? {}]);
    await runArchive(
      { ...config, maxBackfillDays: 2 },
      {
        ...t.deps,
        log: { info: at("info"), warn: at("warn"), error: at("error") },
      },
    );
    expect(lines).toEqual([
      [
        "warn",
        "days beyond the backfill bound are skipped",
        { logGroup: "/app/api", from: "2027-03-02", to: "2027-03-07" },
      ],
      ["info", "export started", { logGroup: "/app/api", day: "2027-03-08", taskId: "task-1" }],
      ["info", "day archived", { logGroup: "/app/api", day: "2027-03-08" }],
      ["info", "export started", { logGroup: "/app/api", day: "2027-03-09", taskId: "task-2" }],
      ["info", "day archived", { logGroup: "/app/api", day: "2027-03-09" }],
    ]);
    expect(t.checkpoint()).toEqual({
      logGroup: "/app/api",
      archivedFrom: "2027-03-08",
      lastArchivedDay: "2027-03-09",
    });
  });

  it("logs why an export failed under a key the logger keeps (Powertools drops a field named message)", async () => {
    const t = setup({ outcome: "FAILED" });
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    const errors: [string, Record<string, unknown>][] = [];
    const result = await runArchive(config, {
      ...t.deps,
      log: {
        ...t.deps.log,
        error: (m: string, f?: Record<string, unknown>) => void errors.push([m, f ?? {}]),
      },
    });
    expect(result.groups[0]!.failed).toEqual(["2027-03-09"]);
    expect(errors).toEqual([
      [
        "export did not archive the day",
        {
          logGroup: "/app/api",
          day: "2027-03-09",
          status: "FAILED",
          statusMessage: "Access Denied for bucket archive",
        },
      ],
    ]);
  });

  it("does not advance when a COMPLETED task left no objects under the prefix", async () => {
    const t = setup({ writeObjects: false });
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    const result = await runArchive(config, t.deps);
    expect(result.groups[0]!.failed).toEqual(["2027-03-09"]);
    expect(t.checkpoint().lastArchivedDay).toBe("2027-03-08");
  });

  it("leaves a task still running at the deadline pending, and the next run resumes it without a second task", async () => {
    const t = setup({ finishAfterPolls: 100 });
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    t.setRemaining(120_000);
    const first = await runArchive(config, t.deps);
    expect(first.deferred).toBe(true);
    expect(t.checkpoint()).toEqual({
      logGroup: "/app/api",
      lastArchivedDay: "2027-03-08",
      pending: { day: "2027-03-09", taskName: "mstack-_app_api-2027-03-09", taskId: "task-1" },
    });
    t.tasks[0]!.status = { code: "COMPLETED" };
    t.objects.set("logs/app/api/2027/03/09/task-1/s/000000.gz", "x");
    t.setRemaining(600_000);
    await runArchive(config, t.deps);
    expect(t.created()).toHaveLength(1);
    expect(t.checkpoint()).toEqual({ logGroup: "/app/api", lastArchivedDay: "2027-03-09" });
  });

  // Other exports (finished or running) share the account's task list; the run must resume its own.
  it.each([
    ["by the id it recorded", "task-1"],
    ["by its name, on a later page, when the crash lost its id", undefined],
  ])("resumes its own pending task %s, whatever other exports are listed first", async (_how, taskId) => {
    const t = setup();
    const ours: Task = {
      ...foreignTask(),
      taskId: "task-1",
      taskName: "mstack-_app_api-2027-03-09",
      logGroupName: "/app/api",
      destinationPrefix: "logs/app/api/2027/03/09",
      status: { code: "COMPLETED" },
    };
    // Theirs are still running: taken for ours, they would keep the run waiting until its deadline.
    const theirs = (n: number): Task => ({ ...foreignTask(), taskId: `foreign-${n}` });
    t.tasks.push(theirs(1), theirs(2), theirs(3), ours);
    t.objects.set("logs/app/api/2027/03/09/task-1/s/000000.gz", "x");
    t.setCheckpoint({
      logGroup: "/app/api",
      lastArchivedDay: "2027-03-08",
      pending: { day: "2027-03-09", taskName: ours.taskName, ...(taskId ? { taskId } : {}) },
    });
    const result = await runArchive(config, t.deps);
    expect(t.created()).toEqual([]);
    expect(result.groups[0]).toMatchObject({ exported: ["2027-03-09"], failed: [] });
    expect(t.checkpoint()).toEqual({ logGroup: "/app/api", lastArchivedDay: "2027-03-09" });
  });

  it("recovers from a crash between creating a task and recording it: no gap, no duplicate", async () => {
    const t = setup();
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    let writes = 0;
    t.s3.on(PutObjectCommand).callsFake((input) => {
      // The intent write succeeds; the write recording the task id (after CreateExportTask) crashes.
      if (++writes === 2) throw new Error("Lambda killed");
      t.objects.set(input.Key, String(input.Body));
      return {};
    });
    await expect(runArchive(config, t.deps)).rejects.toThrow("Lambda killed");
    expect(t.created()).toHaveLength(1);
    t.s3.on(PutObjectCommand).callsFake((input) => {
      t.objects.set(input.Key, String(input.Body));
      return {};
    });
    t.tasks[0]!.status = { code: "COMPLETED" };
    t.objects.set("logs/app/api/2027/03/09/task-1/s/000000.gz", "x");
    await runArchive(config, t.deps);
    expect(t.created()).toHaveLength(1);
    expect(t.checkpoint()).toEqual({ logGroup: "/app/api", lastArchivedDay: "2027-03-09" });
  });

  it("skips days beyond the backfill bound after a long outage", async () => {
    const t = setup();
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-01-01" });
    const result = await runArchive({ ...config, maxBackfillDays: 3 }, t.deps);
    expect(t.created().map((c) => c.taskName)).toEqual([
      "mstack-_app_api-2027-03-07",
      "mstack-_app_api-2027-03-08",
      "mstack-_app_api-2027-03-09",
    ]);
    expect(result.groups[0]!.archivedThrough).toBe("2027-03-09");
  });

  it("finds many log groups across paginated describes, raises shorter retentions at once and keeps a longer one it cannot judge", async () => {
    const t = setup();
    const page = (names: [string, number | undefined][], token?: string) => ({
      logGroups: names.map(([logGroupName, retentionInDays]) => ({
        logGroupName,
        ...(retentionInDays ? { retentionInDays } : {}),
      })),
      ...(token ? { nextToken: token } : {}),
    });
    t.logs
      .on(DescribeLogGroupsCommand, { logGroupNamePrefix: "/svc/" })
      .resolvesOnce(
        page(
          [
            ["/svc/a", 30],
            ["/svc/b", undefined],
          ],
          "p2",
        ),
      )
      .resolvesOnce(page([["/svc/c", 7]], "p3"))
      .resolvesOnce(page([["/svc/d", 30]]));
    const cfg = { ...config, logGroups: [], logGroupPrefixes: ["/svc/"] };
    for (const g of ["/svc/a", "/svc/b", "/svc/c", "/svc/d"])
      t.setCheckpoint({ logGroup: g, lastArchivedDay: "2027-03-09" }, g);
    const result = await runArchive(cfg, t.deps);
    expect(t.logs.commandCalls(DescribeLogGroupsCommand)).toHaveLength(3);
    expect(t.logs.commandCalls(PutRetentionPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { logGroupName: "/svc/c", retentionInDays: 30 },
    ]);
    expect(result.retentionChanged).toEqual([{ logGroup: "/svc/c", from: 7, to: 30 }]);
    // Never-expiring without a creation time: nothing tells what a cut would delete, so it stays as it is.
    expect(result.retentionKept).toEqual([
      {
        logGroup: "/svc/b",
        current: null,
        wanted: 30,
        reason:
          "it never expires and its creation time is unknown, so what the cut would delete cannot be checked",
      },
    ]);
    expect(result.groups.map((g) => g.logGroup)).toEqual(["/svc/a", "/svc/b", "/svc/c", "/svc/d"]);
    expect(t.created()).toEqual([]);
  });

  describe("a group found under a prefix whose retention is longer than hotRetentionDays", () => {
    // Hot retention 7 days, backfill bound 5 days: at NOW the oldest day a backfill may export is 2027-03-05, and
    // a 7-day retention would delete the logs before 2027-03-03 13:00 (through the day 2027-03-03).
    const cfg = {
      ...config,
      logGroups: [],
      logGroupPrefixes: ["/svc/"],
      retentionDays: 7,
      maxBackfillDays: 5,
    };
    const found = (t: ReturnType<typeof setup>, group: object) =>
      t.logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: "/svc/" }).resolves({ logGroups: [group] });
    const retentionCalls = (t: ReturnType<typeof setup>) =>
      t.logs.commandCalls(PutRetentionPolicyCommand).map((c) => c.args[0].input);

    it("never-expiring and older than the backfill bound: archived from the bound, retention kept (its older logs are in no archive)", async () => {
      const t = setup();
      found(t, { logGroupName: "/svc/old", creationTime: Date.parse("2026-01-01T09:00:00Z") });
      const result = await runArchive(cfg, t.deps);
      expect(t.created().map((c) => c.taskName)).toEqual(
        ["05", "06", "07", "08", "09"].map((d) => `mstack-_svc_old-2027-03-${d}`),
      );
      expect(t.checkpoint("/svc/old")).toEqual({
        logGroup: "/svc/old",
        archivedFrom: "2027-03-05",
        lastArchivedDay: "2027-03-09",
      });
      expect(retentionCalls(t)).toEqual([]);
      expect(result.retentionChanged).toEqual([]);
      expect(result.retentionKept).toEqual([
        {
          logGroup: "/svc/old",
          current: null,
          wanted: 7,
          reason:
            "its logs from 2026-01-01 to 2027-03-04 are in no archive (older than maxBackfillDays when it was found); set its retention by hand once they may go",
        },
      ]);
    });

    it("never-expiring and younger than the new retention: archived from its first day, retention cut at once (the cut deletes nothing)", async () => {
      const t = setup();
      found(t, { logGroupName: "/svc/young", creationTime: Date.parse("2027-03-07T08:00:00Z") });
      const result = await runArchive(cfg, t.deps);
      expect(t.created().map((c) => c.taskName)).toEqual(
        ["07", "08", "09"].map((d) => `mstack-_svc_young-2027-03-${d}`),
      );
      expect(retentionCalls(t)).toEqual([{ logGroupName: "/svc/young", retentionInDays: 7 }]);
      expect(result.retentionChanged).toEqual([{ logGroup: "/svc/young", from: null, to: 7 }]);
      expect(result.retentionKept).toEqual([]);
    });

    it("a longer finite retention is kept until every day the cut deletes is archived, then cut", async () => {
      const t = setup();
      found(t, {
        logGroupName: "/svc/long",
        retentionInDays: 14,
        creationTime: Date.parse("2026-01-01T09:00:00Z"),
      });
      let clock = NOW;
      const deps = { ...t.deps, now: () => clock };
      // Day by day: the 14-day retention ages the unarchived days (before 2027-03-05) out on its own.
      for (let day = 0; day <= 9; day++) {
        clock = new Date(NOW.getTime() + day * 86_400_000);
        const result = await runArchive(cfg, deps);
        if (day < 9) {
          expect(retentionCalls(t)).toEqual([]);
          const oldest = new Date(clock.getTime() - 14 * 86_400_000).toISOString().slice(0, 10);
          expect(result.retentionKept).toEqual([
            {
              logGroup: "/svc/long",
              current: 14,
              wanted: 7,
              reason: `its logs from ${oldest} to 2027-03-04 are in no archive (older than maxBackfillDays when it was found); set its retention by hand once they may go`,
            },
          ]);
        } else {
          // 2027-03-19 13:00: the oldest kept logs are from 2027-03-05, the first archived day.
          expect(retentionCalls(t)).toEqual([{ logGroupName: "/svc/long", retentionInDays: 7 }]);
          expect(result.retentionChanged).toEqual([{ logGroup: "/svc/long", from: 14, to: 7 }]);
          expect(result.retentionKept).toEqual([]);
        }
      }
      expect(t.checkpoint("/svc/long")).toEqual({
        logGroup: "/svc/long",
        archivedFrom: "2027-03-05",
        lastArchivedDay: "2027-03-18",
      });
    });

    it("is not cut when its checkpoint, from an earlier version, does not say where its archive starts", async () => {
      const t = setup();
      found(t, {
        logGroupName: "/svc/legacy",
        retentionInDays: 14,
        creationTime: Date.parse("2026-01-01T00:00:00Z"),
      });
      t.setCheckpoint({ logGroup: "/svc/legacy", lastArchivedDay: "2027-03-09" }, "/svc/legacy");
      const result = await runArchive(cfg, t.deps);
      expect(retentionCalls(t)).toEqual([]);
      expect(result.retentionKept).toEqual([
        {
          logGroup: "/svc/legacy",
          current: 14,
          wanted: 7,
          reason:
            "its checkpoint does not record the archive's first day (written by an earlier version); set its retention by hand once its older logs may go",
        },
      ]);
    });

    it("is not cut while its unbroken archive stops short of the cut day", async () => {
      const t = setup();
      found(t, {
        logGroupName: "/svc/behind",
        retentionInDays: 14,
        creationTime: Date.parse("2027-02-20T00:00:00Z"),
      });
      t.setCheckpoint(
        { logGroup: "/svc/behind", archivedFrom: "2027-02-20", lastArchivedDay: "2027-03-01" },
        "/svc/behind",
      );
      t.tasks.push(foreignTask());
      const result = await runArchive({ ...cfg, maxBackfillDays: 10 }, t.deps);
      expect(result.busy).toBe(true);
      expect(retentionCalls(t)).toEqual([]);
      expect(result.retentionKept).toEqual([
        {
          logGroup: "/svc/behind",
          current: 14,
          wanted: 7,
          reason:
            "its archive reaches 2027-03-01; the new retention would delete its logs through 2027-03-03",
        },
      ]);
    });

    it("is not cut while its archive has not reached the days the cut deletes (the account is busy)", async () => {
      const t = setup();
      found(t, {
        logGroupName: "/svc/busy",
        retentionInDays: 14,
        creationTime: Date.parse("2027-03-01T00:00:00Z"),
      });
      // Someone else's export holds the account's one slot all run long.
      t.tasks.push(foreignTask());
      const result = await runArchive({ ...cfg, maxBackfillDays: 10 }, t.deps);
      expect(result.busy).toBe(true);
      expect(retentionCalls(t)).toEqual([]);
      expect(result.retentionKept).toEqual([
        {
          logGroup: "/svc/busy",
          current: 14,
          wanted: 7,
          reason:
            "its archive reaches no day yet; the new retention would delete its logs through 2027-03-03",
        },
      ]);
    });
  });

  it("starts a new log group at the newest exportable day, not at the beginning of time", async () => {
    const t = setup();
    await runArchive(config, t.deps);
    expect(t.created().map((c) => c.taskName)).toEqual(["mstack-_app_api-2027-03-09"]);
  });

  it("does not advance past a FAILED task that left part of its objects: only COMPLETED archives a day", async () => {
    const t = setup({ outcome: "FAILED", partialObjects: true });
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    const result = await runArchive(config, t.deps);
    expect([...t.objects.keys()].some((k) => k.startsWith("logs/app/api/2027/03/09/"))).toBe(true);
    expect(result.groups[0]).toMatchObject({ archivedThrough: "2027-03-08", failed: ["2027-03-09"] });
    expect(t.checkpoint()).toEqual({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
  });

  it("starts no day when the deadline is within the safety margin: the days done stay done, the rest wait", async () => {
    const t = setup();
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-06" });
    // Each day takes one 15 s poll: after two days 50 s are left, under the 60 s margin.
    t.setRemaining(80_000);
    const result = await runArchive(config, t.deps);
    expect(t.created().map((c) => c.taskName)).toEqual([
      "mstack-_app_api-2027-03-07",
      "mstack-_app_api-2027-03-08",
    ]);
    expect(result.deferred).toBe(true);
    expect(result.busy).toBe(false);
    // No intent for 2027-03-09 was recorded: nothing was started for it.
    expect(t.checkpoint()).toEqual({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    expect(result.groups).toEqual([
      {
        logGroup: "/app/api",
        archivedThrough: "2027-03-08",
        daysBehind: 1,
        exported: ["2027-03-07", "2027-03-08"],
        failed: [],
      },
    ]);
  });

  it("fails the run when CreateExportTask is denied: AccessDenied is not a busy account", async () => {
    const t = setup();
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    t.logs.on(CreateExportTaskCommand).rejects(
      Object.assign(new Error("User is not authorized to perform: logs:CreateExportTask"), {
        name: "AccessDeniedException",
      }),
    );
    await expect(runArchive(config, t.deps)).rejects.toThrow(
      "not authorized to perform: logs:CreateExportTask",
    );
    // No backoff retries: only a full export slot is worth waiting for.
    expect(t.logs.commandCalls(CreateExportTaskCommand)).toHaveLength(1);
  });

  it("reads a LimitExceededException that is not the SDK's own class by its name", async () => {
    const t = setup();
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    t.logs
      .on(CreateExportTaskCommand)
      .rejects(Object.assign(new Error("Resource limit exceeded."), { name: "LimitExceededException" }));
    const sleeps: number[] = [];
    const result = await runArchive(config, {
      ...t.deps,
      sleep: async (ms: number) => {
        sleeps.push(ms);
        await t.deps.sleep(ms);
      },
    });
    expect(result.busy).toBe(true);
    // First try, then two backoffs of 5 s and 10 s.
    expect(t.logs.commandCalls(CreateExportTaskCommand)).toHaveLength(3);
    expect(sleeps).toEqual([5_000, 10_000]);
  });

  it("gives a busy account up at once when the deadline leaves no room for a backoff", async () => {
    const t = setup();
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    t.tasks.push(foreignTask());
    // 100 s left: enough to start (margin 60 s) but under twice the margin, so no 5 s wait.
    t.setRemaining(100_000);
    const result = await runArchive(config, t.deps);
    expect(result.busy).toBe(true);
    expect(t.logs.commandCalls(CreateExportTaskCommand)).toHaveLength(1);
  });

  it.each([
    ["denied", Object.assign(new Error("Access Denied"), { name: "AccessDenied" })],
    ["a network error", Object.assign(new Error("socket hang up"), { name: "Error" })],
  ])(
    "fails the run when a checkpoint read is %s: it is never taken for 'no checkpoint'",
    async (_label, error) => {
      const t = setup();
      t.s3.on(GetObjectCommand).rejects(error);
      await expect(runArchive(config, t.deps)).rejects.toThrow(error.message);
      // Taken for "no checkpoint", the group would restart at the newest day and leave a gap behind it.
      expect(t.created()).toEqual([]);
      expect(t.s3.commandCalls(PutObjectCommand)).toEqual([]);
    },
  );

  it("takes a NoSuchKey that is not the SDK's own class, by its name, as 'no checkpoint yet'", async () => {
    const t = setup();
    t.s3
      .on(GetObjectCommand)
      .rejects(Object.assign(new Error("The specified key does not exist."), { name: "NoSuchKey" }));
    const result = await runArchive(config, t.deps);
    expect(t.created().map((c) => c.taskName)).toEqual(["mstack-_app_api-2027-03-09"]);
    expect(result.groups[0]!.exported).toEqual(["2027-03-09"]);
  });

  it("archives several log groups in name order, each on its own checkpoint", async () => {
    const t = setup();
    const cfg = { ...config, logGroups: ["/app/worker", "/app/api", "/app/cron"] };
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-07" });
    t.setCheckpoint({ logGroup: "/app/worker", lastArchivedDay: "2027-03-09" }, "/app/worker");
    const result = await runArchive(cfg, t.deps);
    expect(t.created().map((c) => [c.logGroupName, c.taskName, c.destinationPrefix])).toEqual([
      ["/app/api", "mstack-_app_api-2027-03-08", "logs/app/api/2027/03/08"],
      ["/app/api", "mstack-_app_api-2027-03-09", "logs/app/api/2027/03/09"],
      ["/app/cron", "mstack-_app_cron-2027-03-09", "logs/app/cron/2027/03/09"],
    ]);
    expect(result.groups).toEqual([
      {
        logGroup: "/app/api",
        archivedThrough: "2027-03-09",
        daysBehind: 0,
        exported: ["2027-03-08", "2027-03-09"],
        failed: [],
      },
      {
        logGroup: "/app/cron",
        archivedThrough: "2027-03-09",
        daysBehind: 0,
        exported: ["2027-03-09"],
        failed: [],
      },
      { logGroup: "/app/worker", archivedThrough: "2027-03-09", daysBehind: 0, exported: [], failed: [] },
    ]);
    expect(t.checkpoint("/app/api")).toEqual({ logGroup: "/app/api", lastArchivedDay: "2027-03-09" });
    expect(t.checkpoint("/app/worker")).toEqual({ logGroup: "/app/worker", lastArchivedDay: "2027-03-09" });
    // A group without a checkpoint starts at the newest exportable day, and records where its archive starts.
    expect(t.checkpoint("/app/cron")).toEqual({
      logGroup: "/app/cron",
      archivedFrom: "2027-03-09",
      lastArchivedDay: "2027-03-09",
    });
  });

  it("still reports how far behind the groups it did not reach are, when the deadline stops it", async () => {
    const t = setup();
    const cfg = { ...config, logGroups: ["/app/a", "/app/b", "/app/c", "/app/d", "/app/e"] };
    t.setCheckpoint({ logGroup: "/app/a", lastArchivedDay: "2027-03-08" }, "/app/a");
    t.setCheckpoint({ logGroup: "/app/b", lastArchivedDay: "2027-03-08" }, "/app/b");
    t.setCheckpoint({ logGroup: "/app/c", lastArchivedDay: "2027-03-05" }, "/app/c");
    t.objects.set("_checkpoints/app__d.json", "[]");
    // Each day's export takes one 15 s poll: /app/a and /app/b get theirs, then 50 s are left, under the 60 s margin,
    // and /app/c's first day is not started; /app/d and /app/e are not reached.
    t.setRemaining(80_000);
    const result = await runArchive(cfg, t.deps);
    expect(result.deferred).toBe(true);
    expect(result.groups).toEqual([
      {
        logGroup: "/app/a",
        archivedThrough: "2027-03-09",
        daysBehind: 0,
        exported: ["2027-03-09"],
        failed: [],
      },
      {
        logGroup: "/app/b",
        archivedThrough: "2027-03-09",
        daysBehind: 0,
        exported: ["2027-03-09"],
        failed: [],
      },
      { logGroup: "/app/c", archivedThrough: "2027-03-05", daysBehind: 4, exported: [], failed: [] },
      { logGroup: "/app/d", archivedThrough: null, daysBehind: 30, exported: [], failed: ["checkpoint"] },
      // Never archived: as far behind as the backfill reaches.
      { logGroup: "/app/e", archivedThrough: null, daysBehind: 7, exported: [], failed: [] },
    ]);
    expect(t.created().map((c) => c.logGroupName)).toEqual(["/app/a", "/app/b"]);
  });

  it("stops at the first group when the account is busy: later groups are reported, not tried", async () => {
    const t = setup();
    const cfg = { ...config, logGroups: ["/app/a", "/app/b"] };
    t.setCheckpoint({ logGroup: "/app/a", lastArchivedDay: "2027-03-08" }, "/app/a");
    t.setCheckpoint({ logGroup: "/app/b", lastArchivedDay: "2027-03-07" }, "/app/b");
    t.tasks.push(foreignTask());
    const result = await runArchive(cfg, t.deps);
    expect(result.busy).toBe(true);
    // One try and two backoffs for /app/a; none for /app/b.
    expect(t.created().map((c) => c.logGroupName)).toEqual(["/app/a", "/app/a", "/app/a"]);
    expect(result.groups).toEqual([
      { logGroup: "/app/a", archivedThrough: "2027-03-08", daysBehind: 1, exported: [], failed: [] },
      { logGroup: "/app/b", archivedThrough: "2027-03-07", daysBehind: 2, exported: [], failed: [] },
    ]);
  });

  it("waits for a task being cancelled to end, and does not count a cancelled day as archived", async () => {
    const t = setup({ finishAfterPolls: 100 });
    t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
    // After the first poll the task is PENDING_CANCEL; after the second, CANCELLED.
    let polls = 0;
    const result = await runArchive(config, {
      ...t.deps,
      sleep: async () => {
        t.tasks[0]!.status = { code: ++polls === 1 ? "PENDING_CANCEL" : "CANCELLED" };
      },
    });
    expect(polls).toBe(2);
    expect(result.groups[0]).toMatchObject({ archivedThrough: "2027-03-08", failed: ["2027-03-09"] });
  });

  describe("tells the on-call engineer in the log what it changed, kept or could not read", () => {
    const capture = () => {
      const lines: [string, string, Record<string, unknown>][] = [];
      const at = (level: string) => (m: string, f?: Record<string, unknown>) =>
        void lines.push([level, m, f ?? {}]);
      return { lines, log: { info: at("info"), warn: at("warn"), error: at("error") } };
    };
    const cfg = {
      ...config,
      logGroups: [],
      logGroupPrefixes: ["/svc/"],
      retentionDays: 7,
      maxBackfillDays: 5,
    };

    it("each retention it sets (from what) and each it keeps longer, with why", async () => {
      const t = setup();
      t.logs.on(DescribeLogGroupsCommand, { logGroupNamePrefix: "/svc/" }).resolves({
        logGroups: [
          { logGroupName: "/svc/old", creationTime: Date.parse("2026-01-01T09:00:00Z") },
          {
            logGroupName: "/svc/short",
            retentionInDays: 3,
            creationTime: Date.parse("2026-01-01T09:00:00Z"),
          },
          { logGroupName: "/svc/young", creationTime: Date.parse("2027-03-07T08:00:00Z") },
        ],
      });
      const c = capture();
      await runArchive(cfg, { ...t.deps, log: c.log });
      expect(c.lines.filter(([, m]) => m.startsWith("retention"))).toEqual([
        ["info", "retention set", { logGroup: "/svc/short", from: 3, to: 7 }],
        [
          "warn",
          "retention kept longer than hotRetentionDays: a cut now would delete unarchived logs",
          {
            logGroup: "/svc/old",
            current: null,
            wanted: 7,
            reason:
              "its logs from 2026-01-01 to 2027-03-04 are in no archive (older than maxBackfillDays when it was found); set its retention by hand once they may go",
          },
        ],
        ["info", "retention set", { logGroup: "/svc/young", from: "never expire", to: 7 }],
      ]);
    });

    it("an unreadable checkpoint, naming its key and what is wrong with it", async () => {
      const t = setup();
      t.objects.set("_checkpoints/app__api.json", '{"logGroup":"/other","lastArchivedDay":null}');
      const c = capture();
      await runArchive(config, { ...t.deps, log: c.log });
      expect(c.lines.filter(([level]) => level === "error")).toEqual([
        [
          "error",
          "checkpoint unreadable: the group is not archived and its retention not cut until it is fixed",
          {
            logGroup: "/app/api",
            error: expect.stringMatching(/^_checkpoints\/app__api\.json: .*logGroup is "\/other"/),
          },
        ],
      ]);
    });

    it("an account busy with another export, naming the task it will start next run", async () => {
      const t = setup();
      t.setCheckpoint({ logGroup: "/app/api", lastArchivedDay: "2027-03-08" });
      t.tasks.push(foreignTask());
      const c = capture();
      await runArchive(config, { ...t.deps, log: c.log });
      expect(c.lines.filter(([, m]) => m.startsWith("another"))).toContainEqual([
        "info",
        "another export task is running in the account; resuming next run",
        { taskName: "mstack-_app_api-2027-03-09" },
      ]);
    });
  });
});
