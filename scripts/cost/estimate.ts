// The estimated monthly AWS cost of a stack, from its offline plan and the price table (prices.json): every resource
// type is either priced here or listed as free, and every assumption behind a quantity is stated with the result.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { cronRunCount, parseScheduleExpression } from "../../infra/core/schedule";

export interface PriceRow {
  readonly service: string;
  readonly item: string;
  readonly region: string;
  readonly unit: string;
  readonly usd: number;
  readonly source: string;
  readonly read: string;
  readonly note?: string;
}

export const PRICES: readonly PriceRow[] = (
  JSON.parse(readFileSync(join(__dirname, "prices.json"), "utf8")) as { prices: PriceRow[] }
).prices;

/** Resource types with no charge of their own (what they lead to is priced on the resource that bills it). */
export const FREE_TYPES: Readonly<Record<string, string>> = {
  "aws:iam/role:Role": "IAM is free",
  "aws:iam/rolePolicy:RolePolicy": "IAM is free",
  "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM is free",
  "aws:kms/alias:Alias": "aliases are free",
  "aws:sns/topicPolicy:TopicPolicy": "policies are free",
  "aws:sns/topicSubscription:TopicSubscription": "deliveries are priced on the topic",
  "aws:sqs/queuePolicy:QueuePolicy": "policies are free",
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket configuration is free",
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "bucket configuration is free",
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket configuration is free",
  "aws:s3/bucketPolicy:BucketPolicy": "bucket configuration is free",
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket configuration is free",
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
    "bucket configuration is free (its KMS requests are priced on the key)",
  "aws:s3/bucketVersioning:BucketVersioning": "bucket configuration is free (versions are storage)",
  "aws:cloudwatch/eventRule:EventRule": "rules on AWS service events are free",
  "aws:cloudwatch/eventTarget:EventTarget": "rules on AWS service events are free",
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": "metric filters are free",
  "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter":
    "subscriptions are free (Firehose bills ingestion)",
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": "configuration is free",
  "aws:ecr/lifecyclePolicy:LifecyclePolicy": "policies are free",
  "aws:ecr/repositoryPolicy:RepositoryPolicy": "policies are free",
  "aws:ecs/cluster:Cluster": "a Fargate cluster is free (tasks are priced on their task definition)",
  "aws:scheduler/scheduleGroup:ScheduleGroup": "schedule groups are free",
  "aws:lambda/permission:Permission": "permissions are free",
  "aws:iam/instanceProfile:InstanceProfile": "IAM is free",
  "aws:ssm/maintenanceWindow:MaintenanceWindow": "Systems Manager maintenance windows are free",
  "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget": "Systems Manager maintenance windows are free",
  "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask":
    "Run Command on EC2 instances is free (the host does the work; its output logs are priced on the log group)",
  "aws:secretsmanager/secretPolicy:SecretPolicy": "policies are free",
  "aws:secretsmanager/secretRotation:SecretRotation":
    "rotation is free (its function's runs are Lambda's, a few a quarter; its API calls negligible)",
  "aws:ssm/parameter:Parameter": "standard parameters are free",
  "docker:index/image:Image": "built on the deploying machine; its storage is priced on the ECR repository",
  "random:index/randomId:RandomId": "not an AWS resource",
};
/** Component resources (`maintenance:*`) are groupings, not AWS resources. */
const isComponent = (type: string) => type.startsWith("maintenance:");

/** What the quantities rest on; printed with every estimate. */
export const ASSUMPTIONS = {
  dumpSizeGiB: 1,
  jobLogGiBPerMonth: 0.05,
  exportedLogGiBPerDay: 0.1,
  imageGiB: 0.25,
  lambdaRunSeconds: 30,
  fargateRunMinutes: 15,
  kmsRequestsPerRun: 20,
  alarmNotificationsPerMonth: 100,
} as const;

export function assumptionLines(a = ASSUMPTIONS): string[] {
  return [
    `each dump is ${a.dumpSizeGiB} GiB compressed unless its database's dump.estimatedSizeGiB says otherwise; dumps of tiers kept 365 days or more move to Glacier Instant Retrieval after 90 days`,
    `each job log group ingests ${a.jobLogGiBPerMonth} GiB a month; each exported or streamed log group ${a.exportedLogGiBPerDay} GiB a day, archived in S3 Standard until it expires`,
    `a Lambda run takes ${a.lambdaRunSeconds} s (capped at its timeout), a Fargate dump ${a.fargateRunMinutes} minutes; runs are the schedules' own, over an average month`,
    `${a.kmsRequestsPerRun} KMS requests and one Secrets Manager call per dump run; ${a.alarmNotificationsPerMonth} alarm notifications a month`,
    `the dump image is ${a.imageGiB} GiB in ECR; queues stay empty (DLQs); a replicated dumps bucket's DR copy stores the same dumps, each new dump crossing regions once`,
    "KMS keys are in their first year (each automatic rotation adds $1.00 a month per key)",
    "account-wide free tiers are not applied; health checks target non-AWS endpoints; a region without a price row is priced at us-east-1",
  ];
}

export interface CostLine {
  readonly resource: string;
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly usd: number;
}

export interface CostEstimate {
  readonly stack: string;
  readonly usd: number;
  readonly lines: CostLine[];
  /** Types neither priced nor listed as free (a test keeps this empty). */
  readonly unpriced: string[];
  /** Regions priced at another region's rates. */
  readonly fallbackRegions: string[];
}

interface PlanResource {
  readonly type: string;
  readonly name: string;
  readonly region?: string;
  readonly inputs: Record<string, unknown>;
}
interface PlanInput {
  readonly stack: string;
  readonly resources: readonly PlanResource[];
}

const MONTH_DAYS = 365.25 / 12;

const runsCache = new Map<string, number>();

/** Runs per average month of a schedule expression in its timezone (a year of runs from 2030-01-01, over 12). */
export function runsPerMonth(expression: string, timezone = "UTC"): number {
  const key = `${expression} ${timezone}`;
  const hit = runsCache.get(key);
  if (hit !== undefined) return hit;
  const runs = countRuns(expression, timezone);
  runsCache.set(key, runs);
  return runs;
}

function countRuns(expression: string, timezone: string): number {
  const parsed = parseScheduleExpression(expression);
  if (parsed.kind === "rate") return (MONTH_DAYS * 86_400) / parsed.seconds;
  if (parsed.kind === "at") return 0;
  const from = new Date(Date.UTC(2030, 0, 1));
  return cronRunCount(parsed, timezone, from, new Date(Date.UTC(2031, 0, 1))) / 12;
}

/** Sizes the stack's config gives (`dump.estimatedSizeGiB` per database), over the assumed defaults. */
export interface CostSizes {
  readonly dumpGiB?: Readonly<Record<string, number>>;
}

export function sizesFromConfig(cfg: {
  readonly backups?: {
    readonly databases: readonly { name: string; dump?: { estimatedSizeGiB?: number } }[];
  };
}): CostSizes {
  const dumpGiB: Record<string, number> = {};
  for (const d of cfg.backups?.databases ?? [])
    if (d.dump?.estimatedSizeGiB !== undefined) dumpGiB[d.name] = d.dump.estimatedSizeGiB;
  return { dumpGiB };
}

/** Pure: prices one plan. */
export function estimateCost(plan: PlanInput, sizes: CostSizes = {}, a = ASSUMPTIONS): CostEstimate {
  const lines: CostLine[] = [];
  const fallback = new Set<string>();
  const unpriced = new Set<string>();
  const price = (service: string, item: string, region = "us-east-1"): number => {
    const rows = PRICES.filter((p) => p.service === service && p.item === item);
    const row = rows.find((p) => p.region === region) ?? rows.find((p) => p.region === "us-east-1");
    if (!row) throw new Error(`prices.json has no ${service} ${item}`);
    if (row.region !== region) fallback.add(region);
    return row.usd;
  };
  const add = (r: PlanResource, service: string, item: string, quantity: number, per = 1) => {
    if (quantity > 0)
      lines.push({
        resource: r.name,
        service,
        item,
        quantity,
        usd: (quantity / per) * price(service, item, r.region),
      });
  };
  const schedules = plan.resources.filter((r) => r.type === "aws:scheduler/schedule:Schedule");
  const runsOf = (match: (target: Record<string, unknown>) => boolean) =>
    schedules
      .filter((s) => match(s.inputs.target as Record<string, unknown>))
      .reduce(
        (n, s) =>
          n +
          runsPerMonth(
            String(s.inputs.scheduleExpression),
            String(s.inputs.scheduleExpressionTimezone ?? "UTC"),
          ),
        0,
      );
  let dumpRuns = 0;
  for (const r of plan.resources) {
    const i = r.inputs;
    switch (r.type) {
      case "aws:cloudwatch/metricAlarm:MetricAlarm": {
        const metrics =
          typeof i.metricName === "string"
            ? 1
            : ((i.metricQueries as { metric?: unknown }[]) ?? []).filter((q) => q.metric).length;
        const periods =
          typeof i.period === "number"
            ? [i.period]
            : ((i.metricQueries as { metric?: { period: number } }[]) ?? []).flatMap((q) =>
                q.metric ? [q.metric.period] : [],
              );
        add(
          r,
          "CloudWatch",
          periods.some((p) => p < 60) ? "alarm-metric-high-resolution" : "alarm-metric",
          metrics,
        );
        break;
      }
      case "aws:cloudwatch/compositeAlarm:CompositeAlarm":
        add(r, "CloudWatch", "composite-alarm", 1);
        break;
      case "aws:cloudwatch/dashboard:Dashboard":
        add(r, "CloudWatch", "dashboard", 1);
        break;
      case "aws:route53/healthCheck:HealthCheck": {
        const type = String(i.type);
        add(r, "Route 53", "health-check", 1);
        if (type.startsWith("HTTPS")) add(r, "Route 53", "health-check-https", 1);
        if (type.endsWith("STR_MATCH")) add(r, "Route 53", "health-check-string-matching", 1);
        if (i.requestInterval === 10) add(r, "Route 53", "health-check-fast-interval", 1);
        if (i.measureLatency === true) add(r, "Route 53", "health-check-latency", 1);
        break;
      }
      case "aws:kms/key:Key":
        add(r, "KMS", "key", 1);
        break;
      case "aws:scheduler/schedule:Schedule":
        add(
          r,
          "EventBridge Scheduler",
          "invocations",
          runsPerMonth(String(i.scheduleExpression), String(i.scheduleExpressionTimezone ?? "UTC")),
          1e6,
        );
        break;
      case "aws:lambda/function:Function": {
        const fn = `:function:${String(i.name)}`;
        const runs = runsOf((t) => String(t.arn).endsWith(fn));
        const seconds = Math.min(a.lambdaRunSeconds, Number(i.timeout ?? 3));
        add(r, "Lambda", "requests", runs, 1e6);
        add(r, "Lambda", "arm64-duration", runs * seconds * (Number(i.memorySize ?? 128) / 1024));
        if (String(i.name).includes("-dump-") && !String(i.name).endsWith("-dump-verify")) dumpRuns += runs;
        break;
      }
      case "aws:ecs/taskDefinition:TaskDefinition": {
        const family = String(i.family);
        const runs = runsOf((t) =>
          JSON.stringify(t.ecsParameters ?? "").includes(`task-definition/${family}`),
        );
        const hours = (runs * a.fargateRunMinutes) / 60;
        add(r, "Fargate", "arm64-vcpu", (hours * Number(i.cpu)) / 1024);
        add(r, "Fargate", "arm64-memory", (hours * Number(i.memory)) / 1024);
        dumpRuns += runs;
        break;
      }
      case "aws:sns/topic:Topic":
        add(r, "SNS", "publishes", a.alarmNotificationsPerMonth / 10, 1e6);
        break;
      case "aws:sqs/queue:Queue":
        break; // empty dead-letter and failure queues: no requests (ASSUMPTIONS)
      case "aws:cloudwatch/logGroup:LogGroup": {
        const retention = Number(i.retentionInDays ?? 3653);
        add(r, "CloudWatch Logs", "ingestion", a.jobLogGiBPerMonth);
        add(r, "CloudWatch Logs", "storage", a.jobLogGiBPerMonth * Math.min(retention / MONTH_DAYS, 120));
        break;
      }
      case "aws:s3/bucket:Bucket":
        bucketCost(plan, r, (db) => sizes.dumpGiB?.[db] ?? a.dumpSizeGiB, a, add);
        break;
      case "aws:s3/bucketReplicationConfig:BucketReplicationConfig": {
        // The DR copy of the bucket's dumps: the same storage by class, and each new dump crosses regions once.
        const d = dumpStorage(plan, String(i.bucket), (db) => sizes.dumpGiB?.[db] ?? a.dumpSizeGiB);
        add(r, "S3", "standard", d.standard);
        add(r, "S3", "glacier-instant-retrieval", d.glacier);
        add(r, "S3", "replication-transfer", d.newPerMonth);
        break;
      }
      case "aws:secretsmanager/secret:Secret":
        add(r, "Secrets Manager", "secret", 1);
        break;
      case "aws:ecr/repository:Repository":
        add(r, "ECR", "storage", a.imageGiB);
        break;
      case "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream":
        add(r, "Firehose", "ingestion", a.exportedLogGiBPerDay * MONTH_DAYS);
        break;
      default:
        if (!isComponent(r.type) && !(r.type in FREE_TYPES)) unpriced.add(r.type);
    }
  }
  const anchor = plan.resources.find((r) => r.type === "aws:kms/key:Key");
  if (anchor && dumpRuns > 0) {
    add(anchor, "KMS", "requests", dumpRuns * a.kmsRequestsPerRun, 10_000);
    add(anchor, "Secrets Manager", "api-calls", dumpRuns, 10_000);
  }
  const usd = lines.reduce((s, l) => s + l.usd, 0);
  return {
    stack: plan.stack,
    usd,
    lines,
    unpriced: [...unpriced].sort(),
    fallbackRegions: [...fallback].sort(),
  };
}

/** A bucket's storage: dumps from the dump-verify job's retention and the tier schedules; log archives from exports. */
function bucketCost(
  plan: PlanInput,
  bucket: PlanResource,
  dumpGiB: (database: string) => number,
  a: typeof ASSUMPTIONS,
  add: (r: PlanResource, service: string, item: string, quantity: number) => void,
): void {
  const name = String(bucket.inputs.bucket);
  for (const fn of plan.resources.filter((r) => r.type === "aws:lambda/function:Function")) {
    const raw = (fn.inputs.environment as { variables?: { JOB_CONFIG?: string } } | undefined)?.variables
      ?.JOB_CONFIG;
    if (!raw) continue;
    const cfg = JSON.parse(raw) as {
      buckets?: string[];
      databases?: { database: string; retentionDays?: Record<string, number> }[];
      bucket?: string;
      logGroups?: string[];
    };
    // Dumps: the verification job names every dump bucket; all tiers are priced in the first (same price per GB).
    if (cfg.buckets?.[0] === name && cfg.databases) {
      const d = dumpStorage(plan, name, dumpGiB);
      add(bucket, "S3", "standard", d.standard);
      add(bucket, "S3", "glacier-instant-retrieval", d.glacier);
    }
    // Log archive: each exported group's days until the archive's expiration (or a year when none).
    if (cfg.bucket === name && cfg.logGroups) {
      const lifecycle = plan.resources.find(
        (l) =>
          l.type === "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration" &&
          l.inputs.bucket === name,
      );
      const days =
        ((lifecycle?.inputs.rules as { expiration?: { days?: number } }[] | undefined) ?? [])
          .map((r) => r.expiration?.days)
          .find((d): d is number => typeof d === "number") ?? 365;
      add(bucket, "S3", "standard", cfg.logGroups.length * a.exportedLogGiBPerDay * days);
    }
  }
}

/** Dumps kept in a dumps bucket, by class, and the GiB of new dumps a month: from the verify job's retention per tier
 * and the tier schedules. */
function dumpStorage(
  plan: PlanInput,
  name: string,
  dumpGiB: (database: string) => number,
): { standard: number; glacier: number; newPerMonth: number } {
  const out = { standard: 0, glacier: 0, newPerMonth: 0 };
  for (const fn of plan.resources.filter((r) => r.type === "aws:lambda/function:Function")) {
    const raw = (fn.inputs.environment as { variables?: { JOB_CONFIG?: string } } | undefined)?.variables
      ?.JOB_CONFIG;
    const cfg = raw
      ? (JSON.parse(raw) as {
          buckets?: string[];
          databases?: { database: string; retentionDays?: Record<string, number> }[];
        })
      : {};
    if (cfg.buckets?.[0] !== name) continue;
    for (const db of cfg.databases ?? []) {
      for (const [tier, days] of Object.entries(db.retentionDays ?? {})) {
        const sched = plan.resources.find(
          (s) =>
            s.type === "aws:scheduler/schedule:Schedule" && s.name.endsWith(`-dumps-${db.database}-${tier}`),
        );
        if (!sched) continue;
        const perMonth = runsPerMonth(
          String(sched.inputs.scheduleExpression),
          String(sched.inputs.scheduleExpressionTimezone ?? "UTC"),
        );
        const kept = ((perMonth * days) / MONTH_DAYS) * dumpGiB(db.database);
        const hot = days >= 365 ? (kept * 90) / days : kept;
        out.standard += hot;
        out.glacier += kept - hot;
        out.newPerMonth += perMonth * dumpGiB(db.database);
      }
    }
  }
  return out;
}

/** `$12.34` */
export const usd = (v: number) => `$${v.toFixed(2)}`;

/** The estimate as summary lines: the total, by service, and what it assumes. */
export function costSummary(e: CostEstimate): string[] {
  const byService = new Map<string, number>();
  for (const l of e.lines) byService.set(l.service, (byService.get(l.service) ?? 0) + l.usd);
  return [
    `estimated monthly cost: ${usd(e.usd)} (${[...byService.entries()]
      .sort((x, y) => y[1] - x[1])
      .map(([s, v]) => `${s} ${usd(v)}`)
      .join(", ")})`,
    ...(e.fallbackRegions.length
      ? [`  priced at us-east-1 rates (no price rows yet): ${e.fallbackRegions.join(", ")}`]
      : []),
    ...assumptionLines().map((l) => `  assumes ${l}`),
  ];
}
