// Config section `maintenance:monitoring`: health checks, metric sources, the runbooks' alert thresholds, maintenance windows.
import { z } from "zod";
import { checkAlarmWindow } from "../core/aws-limits";
import { refuseDuplicateNames, timezone } from "./rules";

const severity = z.enum(["critical", "warning", "info"]);

/** HH:MM, 24-hour clock, local to the window's timezone. */
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a 24-hour time HH:MM, e.g. 02:00");
/** An end may also be 24:00, the end of the day. */
const endClock = z
  .string()
  .regex(
    /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/,
    "must be a 24-hour time HH:MM (e.g. 04:00), or 24:00 for midnight",
  );

/** Day-of-week field as EventBridge cron writes it: SUN..SAT, `SUN#1` (first Sunday), `SUNL` (last Sunday). */
const dayOfWeek = z
  .string()
  .regex(
    /^(SUN|MON|TUE|WED|THU|FRI|SAT)(#[1-5]|L)?$/,
    "must be a day as EventBridge cron writes it: SUN..SAT, SUN#1 for the first Sunday, SUNL for the last",
  );

export const maintenanceWindow = z
  .object({
    /** Short id used in names, e.g. weekly, monthly. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,20}$/, "must be a short lowercase id such as weekly"),
    day: dayOfWeek,
    start: clock,
    /** At or before `start`, the window ends on the next day (SAT 23:00-01:00 closes Sunday 01:00). */
    end: endClock,
    timezone: timezone.optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
    const end = minutes(w.end);
    if (end === minutes(w.start)) {
      ctx.addIssue({
        code: "custom",
        path: ["end"],
        message: `must differ from start (${w.start}); an end before the start ends on the next day`,
      });
    } else if (end < minutes(w.start) && !/^(SUN|MON|TUE|WED|THU|FRI|SAT)$/.test(w.day)) {
      ctx.addIssue({
        code: "custom",
        path: ["end"],
        message: `${w.start}-${w.end} crosses midnight, which only a plain day (SUN..SAT) can: the day after ${w.day} is no EventBridge cron day; end it by 24:00`,
      });
    }
  });
export type MaintenanceWindowConfig = z.infer<typeof maintenanceWindow>;

/** Route 53 health checks run every 10 or 30 seconds and fail after 1-10 consecutive failures. */
export const healthCheck = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be a short lowercase id such as api"),
    url: z.url({
      protocol: /^https?$/,
      error: "must be an http(s) URL such as https://api.example.com/health",
    }),
    /** Route 53 allows 10 or 30 seconds. https://docs.aws.amazon.com/Route53/latest/APIReference/API_HealthCheckConfig.html */
    requestIntervalSeconds: z.union([z.literal(10), z.literal(30)]).default(30),
    failureThreshold: z.int().min(1).max(10).default(3),
    /** Optional text the response body must contain (first 5,120 bytes), e.g. "healthy". */
    searchString: z.string().min(1).max(255).optional(),
  })
  .strict();

const threshold = (min: number, max: number, unit: string) =>
  z.number().min(min, `must be at least ${min} ${unit}`).max(max, `must be at most ${max} ${unit}`);

/** A threshold paired with the severity and evaluation the runbook gives it. */
const rule = (min: number, max: number, unit: string) =>
  z
    .object({
      threshold: threshold(min, max, unit),
      severity,
      periodSeconds: z.int().default(60),
      evaluationPeriods: z.int().min(1).default(5),
      datapointsToAlarm: z.int().min(1).optional(),
    })
    .strict()
    .superRefine((r, ctx) => {
      const problem = checkAlarmWindow(r.periodSeconds, r.evaluationPeriods, r.datapointsToAlarm);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });

/** A JSON field name as a CloudWatch Logs JSON filter selects it (`$.<field>`). */
const jsonField = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "must be a top-level JSON field name such as request_time");

/** nginx's access log in JSON (`log_format ... escape=json`), with the request time and status as JSON numbers. */
export const requestLog = z
  .object({
    logGroupName: z
      .string()
      .regex(/^[\w\-./#]{1,512}$/, "must be a CloudWatch Logs group name such as /myapp/nginx/access"),
    /** Field holding nginx's `$request_time` (seconds, a JSON number). */
    requestTimeField: jsonField.default("request_time"),
    /** Field holding nginx's `$status` (a JSON number). */
    statusField: jsonField.default("status"),
  })
  .strict();
export type RequestLogConfig = z.infer<typeof requestLog>;

/** Linux filesystem types the CloudWatch agent's disk plugin reports (`df -T`). */
const LINUX_FSTYPES = ["ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs"] as const;

export const monitoringSection = z
  .object({
    healthChecks: z.array(healthCheck).default([]),
    /** Where request metrics come from: an ALB (`app/<name>/<id>`, its ARN suffix) or an API Gateway REST API. */
    loadBalancer: z
      .object({
        arnSuffix: z.string().regex(/^app\/[\w-]+\/[0-9a-f]+$/, "must be an ALB ARN suffix: app/<name>/<id>"),
      })
      .strict()
      .optional(),
    apiGateway: z
      .object({ apiName: z.string().min(1), stage: z.string().min(1) })
      .strict()
      .optional(),
    /**
     * Or, for an app on one host with nginx in front and no ALB: nginx's JSON access log shipped to CloudWatch Logs by
     * the CloudWatch agent; metric filters turn each request line into the request metrics (see docs/onboarding.md).
     */
    requestLog: requestLog.optional(),
    /** RDS (instance or cluster metrics) or a database process on a host running the CloudWatch agent (procstat). */
    database: z
      .discriminatedUnion("kind", [
        z
          .object({
            kind: z.enum(["rds-instance", "aurora-cluster"]),
            identifier: z.string().regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, "must be an RDS identifier"),
            /** The engine's max_connections, so "pool exhausted" can be a percentage. */
            maxConnections: z.int().min(1),
            /** Allocated storage in GiB, so "disk > 90 %" becomes a FreeStorageSpace floor. */
            allocatedStorageGiB: z.int().min(1).optional(),
            /** Instance memory in GiB, so "memory > 95 %" becomes a FreeableMemory floor. */
            memoryGiB: z.number().positive().optional(),
          })
          .strict(),
        z
          .object({
            kind: z.literal("self-hosted"),
            instanceId: z
              .string()
              .regex(/^i-[0-9a-f]{8,17}$/, "must be an EC2 instance id such as i-0abc12345def67890"),
            /** procstat `pattern` the agent watches, e.g. postgres or mysqld. */
            processPattern: z.string().min(1),
          })
          .strict(),
      ])
      .optional(),
    redis: z
      .object({ cacheClusterId: z.string().min(1) })
      .strict()
      .optional(),
    /** EC2 hosts running the CloudWatch agent (Docker Compose hosts): disk_used_percent and mem_used_percent. */
    hosts: z
      .array(
        z
          .object({
            instanceId: z
              .string()
              .regex(/^i-[0-9a-f]{8,17}$/, "must be an EC2 instance id such as i-0abc12345def67890"),
            /** The agent's dimensions for the watched filesystem (its `path`, `device` and `fstype`). */
            path: z
              .string()
              .regex(/^\/[\w\-./]*$/, "must be an absolute mount point such as /")
              .default("/"),
            /**
             * Required with disk thresholds, no default: the agent publishes the device as `df` shows it without /dev/
             * (nvme0n1p1 on Nitro, xvda1 on Xen), and an alarm whose dimensions match no metric never fires.
             */
            device: z
              .string()
              .regex(
                /^[a-z][a-z0-9_-]{0,63}$/,
                "must be the device name as `df -T` shows it, without /dev/ (e.g. nvme0n1p1, xvda1)",
              )
              .optional(),
            /** Required with disk thresholds: the filesystem type `df -T` shows (Amazon Linux: xfs, Ubuntu: ext4). */
            fstype: z.enum(LINUX_FSTYPES).optional(),
            /** procstat patterns of processes that must be running (e.g. redis-server in Docker Compose). */
            processes: z.array(z.string().min(1)).default([]),
          })
          .strict(),
      )
      .default([]),
    /** Metric filters on application logs, for conditions only the logs show. */
    logAlarms: z
      .array(
        z
          .object({
            kind: z.enum(["failed-logins", "connection-pool-exhausted", "database-connection-failure"]),
            logGroupName: z.string().min(1),
            /** CloudWatch Logs filter pattern, e.g. "\"login failed\"" as the runbook greps. */
            filterPattern: z.string().min(1),
            threshold: z.int().min(1),
            periodSeconds: z.int().default(300),
            severity,
          })
          .strict(),
      )
      .default([]),
    thresholds: z
      .object({
        latencyP95Seconds: z.array(rule(0.01, 60, "seconds")).default([]),
        errorRatePercent: z.array(rule(0.01, 100, "%")).default([]),
        fiveXxPerSecond: z.array(rule(0.001, 10_000, "per second")).default([]),
        databaseConnectionsPercent: z.array(rule(1, 100, "%")).default([]),
        diskUsedPercent: z.array(rule(1, 100, "%")).default([]),
        memoryUsedPercent: z.array(rule(1, 100, "%")).default([]),
        redisMemoryPercent: z.array(rule(1, 100, "%")).default([]),
        redisEvictionsPerMinute: z.array(rule(0, 1_000_000, "per minute")).default([]),
      })
      .strict()
      .default({
        latencyP95Seconds: [],
        errorRatePercent: [],
        fiveXxPerSecond: [],
        databaseConnectionsPercent: [],
        diskUsedPercent: [],
        memoryUsedPercent: [],
        redisMemoryPercent: [],
        redisEvictionsPerMinute: [],
      }),
    /** How long a "database down" condition must hold before it pages (Boardroom: for 1m). */
    databaseDownMinutes: z.int().min(1).max(60).default(1),
    maintenanceWindows: z.array(maintenanceWindow).default([]),
  })
  .strict()
  .superRefine((m, ctx) => {
    const t = m.thresholds;
    const needsRequests =
      t.latencyP95Seconds.length + t.errorRatePercent.length + t.fiveXxPerSecond.length > 0;
    const sources = [
      m.loadBalancer && "loadBalancer",
      m.apiGateway && "apiGateway",
      m.requestLog && "requestLog",
    ];
    const set = sources.filter((s): s is string => typeof s === "string");
    if (needsRequests && set.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["loadBalancer"],
        message:
          "latency and error-rate thresholds need a request metric source: set loadBalancer (ALB), apiGateway, or requestLog (nginx's JSON access log in CloudWatch Logs, for an app on one host)",
      });
    }
    if (set.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [set[1]!],
        message: `set one request metric source, not ${set.join(" and ")}`,
      });
    }
    if ((t.redisMemoryPercent.length || t.redisEvictionsPerMinute.length) && !m.redis) {
      ctx.addIssue({
        code: "custom",
        path: ["redis"],
        message: "redis thresholds need redis.cacheClusterId",
      });
    }
    if (t.databaseConnectionsPercent.length && (!m.database || m.database.kind === "self-hosted")) {
      ctx.addIssue({
        code: "custom",
        path: ["thresholds", "databaseConnectionsPercent"],
        message:
          "needs an RDS database (for a self-hosted one use a logAlarms entry of kind connection-pool-exhausted)",
      });
    }
    if ((t.diskUsedPercent.length || t.memoryUsedPercent.length) && !m.database && m.hosts.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["hosts"],
        message: "disk and memory thresholds need hosts (CloudWatch agent) or an RDS database",
      });
    }
    if (t.diskUsedPercent.length) {
      for (const [i, h] of m.hosts.entries())
        for (const key of ["device", "fstype"] as const)
          if (!h[key])
            ctx.addIssue({
              code: "custom",
              path: ["hosts", i, key],
              message: `required for the disk alarm (thresholds.diskUsedPercent): the CloudWatch agent's ${key} of ${h.path} on ${h.instanceId}, as \`df -T ${h.path}\` shows it (${key === "device" ? "nvme0n1p1 or xvda1, without /dev/" : "xfs on Amazon Linux, ext4 on Ubuntu"}); a value that matches no metric leaves the alarm silent forever`,
            });
    }
    refuseDuplicateNames(ctx, m.maintenanceWindows, ["maintenanceWindows"], "window name");
  });
export type MonitoringConfig = z.infer<typeof monitoringSection>;
