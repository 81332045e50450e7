// JOB_CONFIG and event schemas of the database maintenance job (one database per job): the task kinds, their bounds,
// and identifier rules. Exported for the stack's config section and for other jobs that run `check` tasks.
import { z } from "zod";

/**
 * A table, column or index name. Always quoted when it reaches SQL (quote.ts), so quotes and spaces are fine; what no
 * real name needs and an injection does (a statement separator, a comment, a NUL or control character, a backtick,
 * which MySQL quoting would have to double) is rejected outright. At most 63 bytes, PostgreSQL's NAMEDATALEN - 1
 * (MySQL allows 64): https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 */
export const identifier = z
  .string()
  .min(1)
  .refine((v) => Buffer.byteLength(v) <= 63, "must be at most 63 bytes (PostgreSQL's identifier limit)")
  .refine(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
    (v) => !/[\u0000-\u001f\u007f;`]|--|\/\*|\*\//.test(v),
    "must not contain ';', '--', '/*', '*/', backticks or control characters (an identifier, not SQL)",
  );

/** A table, optionally in a schema (PostgreSQL; MySQL tables are in the connection's database). */
export const tableRef = z.union([identifier, z.object({ schema: identifier, table: identifier }).strict()]);
export type TableRef = z.infer<typeof tableRef>;

export const TASK_KINDS = [
  "vacuum",
  "analyze",
  "reindex",
  "rebuild",
  "archive",
  "purge",
  "check",
  "bloat-report",
] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Kinds that delete or rewrite rows: they refuse to start while the newest verified backup is older than its RPO. */
export const REWRITING_KINDS: ReadonlySet<TaskKind> = new Set(["archive", "purge", "rebuild"]);

const taskName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, "must be a short lowercase id such as weekly-vacuum");

/** Rows are moved or deleted in batches of at most this many (one transaction each), pt-archiver's --limit/--txn-size. */
export const MAX_BATCH_ROWS = 10_000;

/** Bounds every batched task shares: batch size, run time, rows per run, dry run. */
const batchBounds = {
  /** Key column of a unique single-column index: batches walk it in order (keyset pagination). */
  keyColumn: identifier,
  batchSize: z.int().min(1).max(MAX_BATCH_ROWS).default(1000),
  /** No new batch starts after this many seconds (a batch in flight finishes). */
  maxSeconds: z
    .int()
    .min(1)
    .max(6 * 3600)
    .default(600),
  /** At most this many rows per run; the rest wait for the next run. */
  maxRowsPerRun: z.int().min(1).max(100_000_000).default(1_000_000),
  /** Count what would go, change nothing. */
  dryRun: z.boolean().default(false),
  /**
   * Refuse when every row of the table is past the cutoff (a wrong column, a clock gone wrong, a dead table): the
   * task would empty it. Set true only for tables that may legitimately empty. @default false
   */
  allowEmptying: z.boolean().default(false),
};

/** Rows older than `olderThanDays` on `timestampColumn`; never younger than a day (the floor of every cutoff). */
const ageCutoff = {
  timestampColumn: identifier,
  olderThanDays: z.int().min(1).max(36_500),
};

export const taskSchema = z.discriminatedUnion("kind", [
  z
    .object({
      kind: z.literal("vacuum"),
      name: taskName,
      /** VACUUM ANALYZE. @default true */
      analyze: z.boolean().default(true),
      /** @default the whole database */
      tables: z.array(tableRef).min(1).max(100).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("analyze"),
      name: taskName,
      /** @default the whole database (PostgreSQL); MySQL needs the list. */
      tables: z.array(tableRef).min(1).max(100).optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("reindex"),
      name: taskName,
      /** One of: the database, a table's indexes, one index. */
      target: z.union([
        z.object({ database: z.literal(true) }).strict(),
        z.object({ table: tableRef }).strict(),
        z.object({ index: tableRef }).strict(),
      ]),
      /** REINDEX ... CONCURRENTLY (PostgreSQL 12+); without it the task is heavy and needs a window. @default true */
      concurrently: z.boolean().default(true),
      /**
       * Rebuild only the target's indexes whose bloat is over this percent (the runbooks' "if fragmentation > 20 %"),
       * measured by pgstattuple's pgstatindex(): how much emptier the leaf pages are than the index's fillfactor.
       * An index it cannot measure (no pgstattuple, not a btree) is rebuilt, as without the condition, and reported.
       * @default every index of the target, unmeasured
       */
      ifBloatOverPercent: z.number().gt(0).lt(100).optional(),
      /** Measure and report which indexes would be rebuilt; rebuild none. @default false */
      dryRun: z.boolean().optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("rebuild"),
      name: taskName,
      /** VACUUM FULL (PostgreSQL) or ALTER TABLE ... FORCE (MySQL InnoDB, what OPTIMIZE TABLE does); @default all (PostgreSQL) */
      tables: z.array(tableRef).min(1).max(100).optional(),
      /** PostgreSQL: VACUUM (FULL, ANALYZE). @default false */
      analyze: z.boolean().default(false),
    })
    .strict(),
  z
    .object({
      kind: z.literal("archive"),
      name: taskName,
      table: tableRef,
      /** Same columns in the same order as `table` (checked before the first batch). */
      archiveTable: tableRef,
      ...ageCutoff,
      ...batchBounds,
    })
    .strict(),
  z
    .object({
      kind: z.literal("purge"),
      name: taskName,
      table: tableRef,
      /** Rows older than olderThanDays on timestampColumn, or rows whose own expiry column lies in the past. */
      timestampColumn: identifier.optional(),
      olderThanDays: z.int().min(1).max(36_500).optional(),
      expiresColumn: identifier.optional(),
      ...batchBounds,
    })
    .strict()
    .superRefine((t, ctx) => {
      const byAge = t.timestampColumn !== undefined || t.olderThanDays !== undefined;
      if (byAge === (t.expiresColumn !== undefined))
        ctx.addIssue({
          code: "custom",
          message: "needs either timestampColumn with olderThanDays, or expiresColumn (not both)",
        });
      else if (byAge && (t.timestampColumn === undefined || t.olderThanDays === undefined))
        ctx.addIssue({ code: "custom", message: "timestampColumn and olderThanDays go together" });
    }),
  z
    .object({
      kind: z.literal("check"),
      name: taskName,
      /**
       * One read-only SELECT whose first column of the first row is a number; it runs in a READ ONLY transaction
       * over the extended protocol (one statement), so it cannot write.
       */
      query: z.string().min(1).max(2000),
      /** Pages when the value crosses it (the comparison's direction), at this severity. */
      alarm: z
        .object({
          threshold: z.number(),
          comparison: z.enum([">", ">=", "<", "<="]),
          severity: z.enum(["critical", "warning", "info"]),
          /** What the value means when it crosses the threshold, for the alarm's description. */
          summary: z.string().min(1).max(200),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal("bloat-report"),
      name: taskName,
      /** The largest this many tables. @default 20 (the runbooks' LIMIT 20) */
      limit: z.int().min(1).max(100).default(20),
    })
    .strict(),
]);
export type Task = z.infer<typeof taskSchema>;

/** A weekly maintenance window in its timezone (EventBridge cron day: SUN..SAT, SUN#1, SUNL). */
export const windowSchema = z
  .object({
    name: z.string(),
    day: z.string().regex(/^(SUN|MON|TUE|WED|THU|FRI|SAT)(#[1-5]|L)?$/),
    start: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
    end: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/),
    timezone: z.string().min(1),
  })
  .strict();
export type MaintenanceWindow = z.infer<typeof windowSchema>;

/** Session limits every connection sets, so a job gives up instead of blocking the application. */
/** Seconds a run keeps after its last statement could time out: to report, close the session and flush metrics. */
export const REPORT_MARGIN_SECONDS = 30;

export const sessionLimitsSchema = z
  .object({
    lockTimeoutMs: z.int().min(100).max(600_000).default(5000),
    statementTimeoutSeconds: z
      .int()
      .min(1)
      .max(6 * 3600)
      .default(600),
    idleInTransactionSeconds: z.int().min(1).max(3600).default(60),
  })
  .strict();
export type SessionLimits = z.infer<typeof sessionLimitsSchema>;

export const connectionSchema = z
  .object({
    engine: z.enum(["postgres", "mysql"]),
    host: z.string().min(1),
    port: z.int().min(1).max(65_535),
    databaseName: z.string().min(1),
    user: z.string().min(1),
    /** Read from Secrets Manager at run time; only its ARN is configuration. */
    passwordSecretArn: z.string().startsWith("arn:", "must be a Secrets Manager secret ARN"),
    sslMode: z.enum(["disable", "prefer", "require", "verify-full"]).optional(),
  })
  .strict();
export type ConnectionConfig = z.infer<typeof connectionSchema>;

/** Where the verification job records the newest verified dump (tag verified=ok), and the RPO it must be within. */
export const backupGuardSchema = z
  .object({
    buckets: z.array(z.string().min(3)).min(1),
    /** The database's name in backups.databases (the dump keys' `<tier>/<name>/` prefix). */
    database: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/),
    rpoSeconds: z.int().min(3600),
  })
  .strict();
export type BackupGuard = z.infer<typeof backupGuardSchema>;

/** One task as the job receives it: what to do, and the window a heavy task must run in. */
export const plannedTaskSchema = z
  .object({
    task: taskSchema,
    /** Heavy tasks (rebuild, a reindex that is not CONCURRENTLY) run only inside this window and refuse outside it. */
    window: windowSchema.optional(),
  })
  .strict();

export const maintenanceConfigSchema = z
  .object({
    database: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be a lowercase name"),
    connection: connectionSchema,
    session: sessionLimitsSchema.default({
      lockTimeoutMs: 5000,
      statementTimeoutSeconds: 600,
      idleInTransactionSeconds: 60,
    }),
    tasks: z.array(plannedTaskSchema).min(1),
    /** Required when a task deletes or rewrites data. */
    backup: backupGuardSchema.optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    for (const [i, t] of c.tasks.entries()) {
      if (REWRITING_KINDS.has(t.task.kind) && !c.backup)
        ctx.addIssue({
          code: "custom",
          path: ["tasks", i],
          message: "deletes or rewrites data: needs backup",
        });
      if (isHeavy(t.task) && !t.window)
        ctx.addIssue({
          code: "custom",
          path: ["tasks", i, "window"],
          message: "a heavy task needs a window",
        });
    }
  });
export type MaintenanceConfig = z.infer<typeof maintenanceConfigSchema>;

export const maintenanceEventSchema = z
  .object({
    task: taskName,
    scheduledTime: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type MaintenanceEvent = z.infer<typeof maintenanceEventSchema>;

/** Heavy tasks take locks that block the application (or rewrite whole tables): a maintenance window only. */
export function isHeavy(t: Task): boolean {
  return t.kind === "rebuild" || (t.kind === "reindex" && !t.concurrently);
}

/** Which kinds each engine runs (MySQL has no VACUUM or REINDEX; its rebuild is ALTER TABLE ... FORCE). */
export const ENGINE_KINDS: Record<"postgres" | "mysql", readonly TaskKind[]> = {
  postgres: TASK_KINDS,
  mysql: ["analyze", "rebuild", "archive", "purge", "check", "bloat-report"],
};

/**
 * Metric names the stack's alarms and dashboard read (dimension Task, or Table for the bloat report). Here, beside
 * the schema, so that the plan reads them without loading the job (run.ts and its SDK clients cost it about 0.2 s).
 */
export const MAINTENANCE_METRICS = {
  failed: "TaskFailed",
  seconds: "TaskSeconds",
  archived: "RowsArchived",
  purged: "RowsPurged",
  check: "CheckValue",
  lockTimeouts: "LockTimeouts",
  tableBytes: "TableBytes",
  bloat: "BloatRatio",
  indexBloat: "IndexBloatPercent",
} as const;
export type MaintenanceMetric = (typeof MAINTENANCE_METRICS)[keyof typeof MAINTENANCE_METRICS];
