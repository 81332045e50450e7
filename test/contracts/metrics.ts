// The metric contract: every alarm in a plan watches a metric that something really publishes with exactly its
// namespace, name and dimensions: a handler's EMF output in the contract runs, a log metric filter or a scheduled
// PutMetricData in the plan, or an AWS service metric with the dimensions AWS documents for it.
import type { RecordedStack } from "../../scripts/lib/record-stack";
import type { RecordedResource } from "../support/pulumi-mocks";
import type { JobRun } from "./job-runs";

export interface FedAlarm {
  readonly alarm: string;
  readonly watches: string;
  readonly why: string;
}

interface Watched {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
}

/**
 * AWS's own metrics, by namespace: the metric names an alarm here may watch and the one dimension set AWS publishes
 * them under, and which resource type of the plan a dimension value must name (null: outside the stack).
 * Lambda: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html ;
 * SQS: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html ;
 * SNS: https://docs.aws.amazon.com/sns/latest/dg/sns-monitoring-using-cloudwatch.html ;
 * Scheduler: https://docs.aws.amazon.com/scheduler/latest/UserGuide/monitoring-cloudwatch.html ;
 * Firehose: https://docs.aws.amazon.com/firehose/latest/dev/monitoring-with-cloudwatch-metrics.html ;
 * Route 53: https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/monitoring-health-check-metrics.html ;
 * ALB, RDS, ElastiCache and the CloudWatch agent: the application's own resources, named in config.
 */
const AWS_METRICS: Record<
  string,
  { metrics: string[]; dimensions: string[]; names: [string, string] | null }
> = {
  // S3 Replication metrics, published (with replication metrics on) in the source's region per rule:
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/metrics-dimensions.html#s3-cloudwatch-replication-metrics
  "AWS/S3": {
    metrics: ["OperationsFailedReplication", "ReplicationLatency"],
    dimensions: ["SourceBucket", "DestinationBucket", "RuleId"],
    names: ["aws:s3/bucket:Bucket", "bucket"],
  },
  "AWS/Lambda": {
    metrics: ["Errors", "Throttles", "Duration", "Invocations"],
    dimensions: ["FunctionName"],
    names: ["aws:lambda/function:Function", "name"],
  },
  "AWS/SQS": {
    metrics: ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"],
    dimensions: ["QueueName"],
    names: ["aws:sqs/queue:Queue", "name"],
  },
  "AWS/SNS": {
    metrics: ["NumberOfNotificationsFailed", "NumberOfNotificationsDelivered"],
    dimensions: ["TopicName"],
    names: ["aws:sns/topic:Topic", "name"],
  },
  "AWS/Scheduler": {
    metrics: ["InvocationDroppedCount", "TargetErrorCount", "InvocationThrottleCount"],
    dimensions: ["ScheduleGroup"],
    names: ["aws:scheduler/scheduleGroup:ScheduleGroup", "name"],
  },
  "AWS/Firehose": {
    metrics: ["DeliveryToS3.DataFreshness", "DeliveryToS3.Success"],
    dimensions: ["DeliveryStreamName"],
    names: ["aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "name"],
  },
  "AWS/Route53": {
    metrics: ["HealthCheckStatus", "HealthCheckPercentageHealthy"],
    dimensions: ["HealthCheckId"],
    names: null,
  },
  "AWS/ApplicationELB": {
    metrics: ["HTTPCode_Target_5XX_Count", "RequestCount", "TargetResponseTime"],
    dimensions: ["LoadBalancer"],
    names: null,
  },
  "AWS/RDS": {
    metrics: ["CPUUtilization", "DatabaseConnections", "FreeStorageSpace", "FreeableMemory"],
    dimensions: ["DBInstanceIdentifier"],
    names: null,
  },
  "AWS/ElastiCache": {
    metrics: ["DatabaseMemoryUsagePercentage", "Evictions"],
    dimensions: ["CacheClusterId"],
    names: null,
  },
};
/** The CloudWatch agent publishes what its config says; these are the dimension sets its default config appends. */
const AGENT_DIMENSIONS: Record<string, string[]> = {
  disk_used_percent: ["InstanceId", "device", "fstype", "path"],
  mem_used_percent: ["InstanceId"],
  procstat_lookup_pid_count: ["InstanceId", "pattern", "pid_finder"],
};

function watchedBy(alarm: RecordedResource): Watched[] {
  const i = alarm.inputs as Record<string, any>;
  if (typeof i.metricName === "string")
    return [{ namespace: i.namespace, metricName: i.metricName, dimensions: i.dimensions ?? {} }];
  return ((i.metricQueries ?? []) as { metric?: Record<string, any> }[])
    .filter((q) => q.metric)
    .map((q) => ({
      namespace: q.metric!.namespace,
      metricName: q.metric!.metricName,
      dimensions: q.metric!.dimensions ?? {},
    }));
}

const sameDims = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([k, v]) => b[k] === v);

/**
 * Datapoints the plan itself publishes: log metric filters (no dimensions unless declared), scheduled PutMetricData,
 * and the host scripts' `aws cloudwatch put-metric-data`.
 */
function planFeeds(rec: RecordedStack): Watched[] {
  const out: Watched[] = [];
  for (const f of rec.resources.filter((r) => r.type === "aws:cloudwatch/logMetricFilter:LogMetricFilter")) {
    const t = f.inputs.metricTransformation as {
      namespace: string;
      name: string;
      dimensions?: Record<string, string>;
    };
    out.push({ namespace: t.namespace, metricName: t.name, dimensions: t.dimensions ?? {} });
  }
  for (const s of rec.resources.filter((r) => r.type === "aws:scheduler/schedule:Schedule")) {
    const target = s.inputs.target as { arn: string; input?: string };
    if (!target.arn.endsWith(":cloudwatch:putMetricData")) continue;
    const input = JSON.parse(String(target.input)) as {
      Namespace: string;
      MetricData: { MetricName: string; Dimensions?: { Name: string; Value: string }[] }[];
    };
    for (const m of input.MetricData)
      out.push({
        namespace: input.Namespace,
        metricName: m.MetricName,
        dimensions: Object.fromEntries((m.Dimensions ?? []).map((d) => [d.Name, d.Value])),
      });
  }
  // Host chores publish with `aws cloudwatch put-metric-data` in the generated script a window task runs.
  for (const t of rec.resources.filter(
    (r) => r.type === "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
  )) {
    const params =
      (
        t.inputs.taskInvocationParameters as {
          runCommandParameters?: { parameters?: { values: string[] }[] };
        }
      ).runCommandParameters?.parameters ?? [];
    for (const script of params.flatMap((p) => p.values))
      for (const line of script.split("\n")) {
        if (!line.includes("aws cloudwatch put-metric-data")) continue;
        const arg = (flag: string) =>
          /'([^']*)'|(\S+)/.exec(line.slice(line.indexOf(`${flag} `) + flag.length + 1));
        const value = (flag: string) => {
          const m = arg(flag);
          return m?.[1] ?? m?.[2] ?? "";
        };
        out.push({
          namespace: value("--namespace"),
          metricName: value("--metric-name"),
          dimensions: Object.fromEntries(
            value("--dimensions")
              .split(",")
              .map((kv) => kv.split("=") as [string, string]),
          ),
        });
      }
  }
  return out;
}

/**
 * A replication metric names a rule of the plan: a replication configuration of SourceBucket with a rule RuleId whose
 * destination is DestinationBucket and whose metrics are on, watched from the source's region (where S3 publishes).
 */
function replicationMetricProblem(rec: RecordedStack, w: Watched, region: string): string | null {
  const { SourceBucket: source, DestinationBucket: destination, RuleId: ruleId } = w.dimensions;
  const config = rec.resources.find(
    (r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig" && r.inputs.bucket === source,
  );
  if (!config) return `no replication configuration of the stack has source bucket ${source}`;
  const rule = (
    config.inputs.rules as { id: string; destination: { bucket: string; metrics?: { status: string } } }[]
  ).find((r) => r.id === ruleId);
  if (!rule) return `bucket ${source} has no replication rule ${ruleId}`;
  if (rule.destination.bucket !== `arn:aws:s3:::${destination}`)
    return `rule ${ruleId} replicates to ${rule.destination.bucket}, not ${destination}`;
  if (rule.destination.metrics?.status !== "Enabled")
    return `rule ${ruleId} has replication metrics off, so S3 publishes no ${w.metricName}`;
  if (config.region !== region) return `S3 publishes it in ${config.region}, the alarm is in ${region}`;
  return null;
}

function awsMetricProblem(rec: RecordedStack, w: Watched, region = ""): string | null {
  if (w.namespace === "CWAgent") {
    const dims = AGENT_DIMENSIONS[w.metricName];
    if (!dims) return `the CloudWatch agent publishes no ${w.metricName} this project knows`;
    return sameDims(
      Object.fromEntries(dims.map((d) => [d, "x"])),
      Object.fromEntries(Object.keys(w.dimensions).map((d) => [d, "x"])),
    )
      ? null
      : `the agent publishes ${w.metricName} with {${dims.join(", ")}}, not {${Object.keys(w.dimensions).join(", ")}}`;
  }
  const spec = AWS_METRICS[w.namespace];
  if (!spec) return `namespace ${w.namespace} is neither this project's nor a documented AWS one`;
  if (!spec.metrics.includes(w.metricName)) return `${w.namespace} has no documented metric ${w.metricName}`;
  const keys = Object.keys(w.dimensions).sort();
  if (keys.join(",") !== [...spec.dimensions].sort().join(","))
    return `AWS publishes ${w.namespace} ${w.metricName} with {${spec.dimensions.join(", ")}}, not {${keys.join(", ")}}`;
  if (w.namespace === "AWS/S3") return replicationMetricProblem(rec, w, region);
  if (spec.names) {
    const [type, field] = spec.names;
    const value = w.dimensions[spec.dimensions[0]!];
    const names = rec.resources.filter((r) => r.type === type).map((r) => String(r.inputs[field]));
    if (!names.includes(String(value))) return `no ${type} of the stack is named ${value}`;
  }
  return null;
}

/** Every alarm of the plan whose metric nothing publishes, with the reason. */
export function unfedAlarms(rec: RecordedStack, runs: readonly JobRun[]): FedAlarm[] {
  const emitted: Watched[] = [...runs.flatMap((r) => r.emf), ...planFeeds(rec)];
  const out: FedAlarm[] = [];
  for (const alarm of rec.resources.filter((r) => r.type === "aws:cloudwatch/metricAlarm:MetricAlarm")) {
    for (const w of watchedBy(alarm)) {
      const watches = `${w.namespace} ${w.metricName} {${Object.entries(w.dimensions)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")}}`;
      let why: string | null;
      if (w.namespace.startsWith("Maintenance")) {
        const fed = emitted.some(
          (e) =>
            e.namespace === w.namespace &&
            e.metricName === w.metricName &&
            sameDims(e.dimensions, w.dimensions),
        );
        const near = emitted
          .filter((e) => e.namespace === w.namespace && e.metricName === w.metricName)
          .map(
            (e) =>
              `{${Object.entries(e.dimensions)
                .map(([k, v]) => `${k}=${v}`)
                .join(", ")}}`,
          );
        why = fed
          ? null
          : near.length
            ? `the jobs publish it only as ${[...new Set(near)].join(" ")}`
            : "no job, metric filter or schedule publishes it";
      } else why = awsMetricProblem(rec, w, alarm.region);
      if (why) out.push({ alarm: String(alarm.inputs.alarmName ?? alarm.name), watches, why });
    }
  }
  return out;
}
