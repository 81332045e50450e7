// Config section `maintenance:hosts`: the chores a Docker Compose host needs (prune, delete, compress, sync, certbot,
// disk usage), run by SSM Maintenance Windows, and continuous WAL archiving of a self-hosted PostgreSQL (pgBackRest).
import { z } from "zod";
import { refuseDuplicateNames, scheduleExpression, slug, timezone } from "./rules";

/**
 * Directories a host task must never work in, nor anywhere below: the operating system's own, and the data
 * directories of the databases and Docker (a pattern there deletes a database, not a log).
 */
export const SYSTEM_DIRECTORIES = [
  "/bin",
  "/boot",
  "/dev",
  "/etc",
  "/lib",
  "/lib32",
  "/lib64",
  "/libx32",
  "/proc",
  "/run",
  "/sbin",
  "/sys",
  "/usr",
  "/var/lib",
  "/var/run",
  "/var/spool",
  "/snap",
] as const;

/**
 * Why a path is unsafe for a task that deletes, compresses or syncs files, or null when it is fine: absolute,
 * normalised (no `.`/`..` segment, no `//`, no trailing `/`), at least two levels deep (never `/`, `/opt` or `/home`),
 * outside the system directories, printable (a space or a quote is fine: scripts quote every path).
 */
export function unsafePathProblem(path: string): string | null {
  if (!path.startsWith("/")) return "must be an absolute path such as /opt/app/logs";
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
  if (/[\u0000-\u001f\u007f]/.test(path)) return "must not contain control characters or newlines";
  const tooShallow =
    "must be at least two levels deep (e.g. /opt/app/logs): a task never works on / or a top-level directory";
  if (path === "/") return tooShallow;
  if (path.endsWith("/")) return "must not end with /";
  const segments = path.split("/").slice(1);
  if (segments.some((s) => s === "" || s === "." || s === ".."))
    return "must be normalised: no empty, '.' or '..' segment";
  if (segments.length < 2) return tooShallow;
  const system = SYSTEM_DIRECTORIES.find((d) => path === d || path.startsWith(`${d}/`));
  if (system) return `must not be ${system} or below it (a system or data directory)`;
  return null;
}

const hostPath = z.string().superRefine((p, ctx) => {
  const problem = unsafePathProblem(p);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

/**
 * A `find -name` glob: letters, digits, `.`, `_`, `-` and the wildcards `*`, `?`; no `/`; at least one character that
 * is not a wildcard, so `*` alone (every file) is refused.
 */
export const filePattern = z
  .string()
  .regex(
    /^[A-Za-z0-9._*?-]{1,64}$/,
    "must be a file-name glob such as *.log or app-*.jsonl (letters, digits, . _ - * ?)",
  )
  .refine((p) => /[A-Za-z0-9._-]/.test(p.replace(/[*?]/g, "")) && /[A-Za-z0-9]/.test(p), {
    message: "must name something besides wildcards (e.g. *.log, not *)",
  });

const taskName = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be a short lowercase id such as old-logs");

const base = {
  name: taskName,
  /** A window of `monitoring.maintenanceWindows` or of `hosts.windows` this task runs in. */
  window: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, "must name a maintenance window"),
};

/** A Docker container to run a tool in (`docker exec <container> ...`). */
const container = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/, "must be a Docker container name");

/** Deletion bound: more matching files than this and the task refuses, deleting nothing. */
const maxFiles = z.int().min(1).max(1_000_000).default(10_000);

export const hostTask = z.discriminatedUnion("kind", [
  z
    .object({
      ...base,
      kind: z.literal("prune-docker-images"),
      /** `docker image prune -af --filter until=<N>h`. SkillSwap: 168 (7 days). */
      olderThanHours: z.int().min(1).max(8760),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal("delete-files"),
      path: hostPath,
      pattern: filePattern,
      olderThanDays: z.int().min(1).max(3650),
      maxFiles,
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal("compress-files"),
      path: hostPath,
      pattern: filePattern.refine((p) => !p.endsWith(".gz"), "must not match files that are already .gz"),
      olderThanDays: z.int().min(1).max(3650),
      maxFiles,
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal("sync-to-archive"),
      path: hostPath,
      /** Only files matching this glob are synced (Boardroom: `--include "*.gz"`). @default every file */
      include: filePattern.optional(),
      /** Under `hosts/<host>/<prefix>/` in the host files bucket. */
      prefix: slug,
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal("certbot-dry-run"),
      /** Run it inside this container (`docker exec <container> certbot renew --dry-run`). @default on the host */
      container: container.optional(),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal("redis-memory"),
      /** Run redis-cli inside this container (`docker exec <container> redis-cli INFO memory`). @default on the host */
      container: container.optional(),
      /**
       * Pages when `mem_fragmentation_ratio` (resident memory over the memory Redis holds data in) is above this at a
       * run. Redis's docs call a ratio above 1.5 significant fragmentation. @default 1.5, warning
       */
      fragmentationAlarm: z
        .object({
          threshold: z.number().min(1.1).max(10).default(1.5),
          severity: z.enum(["critical", "warning", "info"]).default("warning"),
        })
        .strict()
        .default({ threshold: 1.5, severity: "warning" }),
    })
    .strict(),
  z
    .object({
      ...base,
      kind: z.literal("disk-usage"),
      /** Filesystems to report (`df`), as a metric per path. */
      paths: z
        .array(z.string().regex(/^\/[A-Za-z0-9._/-]*$/, "must be an absolute path such as / or /opt"))
        .min(1)
        .default(["/"]),
    })
    .strict(),
]);
export type HostTask = z.infer<typeof hostTask>;

/** A window of the host section's own, for chores that do not belong in a monitoring maintenance window. */
export const ownWindow = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, "must be a short lowercase id such as daily"),
    /** When the window opens: a cron expression (SSM Maintenance Windows use the same six fields). */
    expression: scheduleExpression.refine((e) => e.startsWith("cron("), "must be a cron(...) expression"),
    timezone: timezone.optional(),
    /** SSM: 1-24 hours. https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateMaintenanceWindow.html */
    durationHours: z.int().min(1).max(24),
    /** SSM: 0-23, below the duration: no task starts in the last `cutoffHours`. */
    cutoffHours: z.int().min(0).max(23).default(0),
  })
  .strict()
  .refine((w) => w.cutoffHours < w.durationHours, {
    path: ["cutoffHours"],
    message: "must be below durationHours (no task could start)",
  });
export type OwnWindowConfig = z.infer<typeof ownWindow>;

export const hostEntry = z
  .object({
    /** Short id used in names, S3 prefixes and metric dimensions. */
    name: slug,
    /** The instances: EC2 ids... */
    instanceIds: z
      .array(z.string().regex(/^i-[0-9a-f]{8,17}$/, "must be an EC2 instance id such as i-0abc12345def67890"))
      .min(1)
      .max(50)
      .optional(),
    /** ...or a tag every instance of the host carries. */
    tag: z
      .object({ key: z.string().min(1).max(128), value: z.string().min(1).max(256) })
      .strict()
      .optional(),
    /**
     * An instance profile role the host already has: the host policy is attached to it instead of creating a role
     * and instance profile (an instance has one profile). @default a new role and instance profile
     */
    existingRoleName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, "must be an IAM role name")
      .optional(),
    tasks: z.array(hostTask).min(1),
  })
  .strict()
  .superRefine((h, ctx) => {
    if ((h.instanceIds === undefined) === (h.tag === undefined))
      ctx.addIssue({
        code: "custom",
        path: ["instanceIds"],
        message: "set exactly one of instanceIds or tag",
      });
    refuseDuplicateNames(ctx, h.tasks, ["tasks"], "task name");
  });
export type HostConfig = z.infer<typeof hostEntry>;

/** Continuous WAL archiving of a self-hosted PostgreSQL with pgBackRest, into the stack's WAL bucket. */
export const walArchiving = z
  .object({
    /** The host (of `hosts`) PostgreSQL runs on; pgBackRest must be installed there. */
    host: slug,
    /** pgBackRest stanza, usually the cluster's name. */
    stanza: z.string().regex(/^[a-z][a-z0-9_-]{0,30}$/, "must be a short lowercase id such as main"),
    /** PostgreSQL's data directory on the host (pg1-path). */
    dataDirectory: z
      .string()
      .regex(/^(\/[\w.-]+)+$/, "must be an absolute path such as /var/lib/postgresql/15/main")
      .refine(
        (p) => !p.split("/").some((s) => s === "." || s === ".."),
        "must be normalised: no '.' or '..'",
      ),
    /** `archive_timeout`: a segment is switched (and archived) at least this often while there is activity. */
    archiveTimeoutSeconds: z.int().min(60).max(3600).default(300),
    /** How late the newest archived segment may be beyond archive_timeout before the check alarms. */
    marginSeconds: z.int().min(60).max(86_400).default(900),
    /** Base backups: a window of the host section (e.g. every 6 hours) and the backup type. */
    baseBackup: z
      .object({
        window: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, "must name a maintenance window"),
        type: z.enum(["full", "diff", "incr"]).default("full"),
      })
      .strict(),
    /**
     * Full backups pgBackRest keeps (`repo1-retention-full`); expiry deletes older ones with their WAL. Floor 2: a
     * single full backup leaves nothing while the next one runs.
     */
    retentionFull: z
      .int()
      .min(2, "must be at least 2 (the floor: one full backup is never enough)")
      .max(60)
      .default(4),
    /** pgBackRest processes for backup and archive-push. */
    processMax: z.int().min(1).max(16).default(2),
  })
  .strict();
export type WalArchivingConfig = z.infer<typeof walArchiving>;

export const hostsSection = z
  .object({
    /** Every script lists what it would delete, compress, prune or sync, and changes nothing. */
    dryRun: z.boolean().default(false),
    windows: z.array(ownWindow).default([]),
    hosts: z.array(hostEntry).min(1),
    /** Days the synced folders and the Run Command output are kept in the host files bucket. */
    archiveRetentionDays: z.int().min(30).max(3650).default(365),
    wal: walArchiving.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    refuseDuplicateNames(ctx, s.windows, ["windows"], "window name");
    const hosts = refuseDuplicateNames(ctx, s.hosts, ["hosts"], "host name");
    if (s.wal && !hosts.has(s.wal.host))
      ctx.addIssue({
        code: "custom",
        path: ["wal", "host"],
        message: `must be one of the hosts (${[...hosts].join(", ")})`,
      });
  });
export type HostsConfig = z.infer<typeof hostsSection>;
