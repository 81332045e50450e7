// The one alarm factory: every alarm gets a severity (which picks its SNS topic), a description of what broke, and a
// link to its page in docs/alarms/. The argument builders are pure so tests assert them exactly.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { checkAlarmWindow } from "./aws-limits";
import { alarmName } from "./naming";

export type Severity = "critical" | "warning" | "info";
export const SEVERITIES: readonly Severity[] = ["critical", "warning", "info"];

/** Where alarms send their actions. */
export interface AlarmRouting {
  /** Topics in the stack's primary region. */
  readonly topicArns: Record<Severity, pulumi.Input<string>>;
  /**
   * Topics in other regions, by region. An alarm can only notify a topic in its own region, and Route 53 health-check
   * metrics exist only in us-east-1, so their alarms need topics there.
   */
  readonly regionalTopicArns?: Readonly<Record<string, Record<Severity, pulumi.Input<string>>>>;
  /** false keeps every alarm but disables its actions (dev). */
  readonly actionsEnabled: boolean;
  readonly stack: string;
  /** Base URL of this repository; descriptions link `<runbookBaseUrl>/docs/alarms/<page>.md`. */
  readonly runbookBaseUrl: string;
}

export interface MetricSource {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions?: Record<string, pulumi.Input<string>>;
  /** A statistic (Sum, Maximum, ...) or a percentile (p95). */
  readonly stat: string;
}

export interface MathSource {
  /** Metric-math expression over the ids of `metrics`, e.g. `100 * errors / requests`. */
  readonly expression: string;
  readonly label: string;
  readonly metrics: Record<string, MetricSource>;
}

export interface AlarmSpec {
  readonly severity: Severity;
  /** File name (without .md) of the page in docs/alarms/ that says what to check first. */
  readonly page: string;
  /** What broke, in one line, as the on-call engineer should read it. */
  readonly summary: string;
  readonly metric: MetricSource | MathSource;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm?: number;
  readonly threshold: number;
  readonly comparisonOperator:
    | "GreaterThanOrEqualToThreshold"
    | "GreaterThanThreshold"
    | "LessThanThreshold"
    | "LessThanOrEqualToThreshold";
  readonly treatMissingData: "breaching" | "notBreaching" | "ignore" | "missing";
  /**
   * Whether this alarm notifies by itself. Members of a composite alarm (which pages once for all of them) set false.
   * @default true
   */
  readonly notify?: boolean;
  /** Region override (Route 53 health-check metrics exist only in us-east-1). */
  readonly region?: string;
}

/** "Anything at all in five minutes": the shape of error, throttle, drop, failed-delivery and queue-depth alarms. */
export function anyInFiveMinutes(
  severity: Severity,
  page: string,
  summary: string,
  metric: MetricSource,
): AlarmSpec {
  return {
    severity,
    page,
    summary,
    metric,
    periodSeconds: 300,
    evaluationPeriods: 1,
    threshold: 0,
    comparisonOperator: "GreaterThanThreshold",
    treatMissingData: "notBreaching",
  };
}

/** Messages waiting in a queue (a DLQ, a failure queue): with anyInFiveMinutes, "any message pages". */
export const queueDepth = (queueName: pulumi.Input<string>): MetricSource => ({
  namespace: "AWS/SQS",
  metricName: "ApproximateNumberOfMessagesVisible",
  dimensions: { QueueName: queueName },
  stat: "Maximum",
});

/** "Any failure reported in the hour": the same shape over an hour, for jobs' own 0/1 or count failure metrics. */
export function anyInAnHour(
  severity: Severity,
  page: string,
  summary: string,
  metric: MetricSource,
): AlarmSpec {
  return { ...anyInFiveMinutes(severity, page, summary, metric), periodSeconds: 3600 };
}

/**
 * The two alarms every kind of backup has, from its verifier's hourly metrics: the newest good backup older than the
 * RPO pages (critical), verification failing warns; both breach on missing data, since a verifier that stopped
 * reporting proves nothing. Two of three hours must agree, so one slow run does not page.
 */
export function backupHealthAlarms(b: {
  readonly rpoHours: number;
  readonly age: MetricSource;
  readonly ageSummary: string;
  readonly failed: MetricSource;
  readonly failedSummary: string;
}): { age: AlarmSpec; verification: AlarmSpec } {
  const hourly = {
    periodSeconds: 3600,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    treatMissingData: "breaching",
  } as const;
  return {
    age: {
      severity: "critical",
      page: "backup-age",
      summary: b.ageSummary,
      metric: b.age,
      ...hourly,
      threshold: b.rpoHours * 3600,
      comparisonOperator: "GreaterThanThreshold",
    },
    verification: {
      severity: "warning",
      page: "backup-verification-failed",
      summary: b.failedSummary,
      metric: b.failed,
      ...hourly,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
    },
  };
}

/** CloudWatch's limit on AlarmDescription. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html */
const DESCRIPTION_MAX = 1024;

export function alarmDescription(
  severity: Severity,
  summary: string,
  page: string,
  routing: AlarmRouting,
): string {
  const link = `${routing.runbookBaseUrl.replace(/\/$/, "")}/docs/alarms/${page}.md`;
  const text = `[${severity.toUpperCase()}] ${summary} Runbook: ${link}`;
  if (text.length > DESCRIPTION_MAX) {
    throw new Error(
      `alarm description for page ${page} is ${text.length} characters; CloudWatch allows ${DESCRIPTION_MAX}`,
    );
  }
  return text;
}

/**
 * Actions by severity: critical and warning notify on ALARM and on OK (so the pager resolves the incident); info
 * notifies on ALARM only, since a "back to normal" for a daily-review item is noise.
 */
export function alarmActions(severity: Severity, routing: AlarmRouting, notify = true, region?: string) {
  if (!notify) return { alarmActions: [], okActions: [] };
  const topics = region ? routing.regionalTopicArns?.[region] : routing.topicArns;
  if (!topics)
    throw new Error(`no paging topics in ${region}; create OnCallPaging with that region in its regions`);
  const topic = topics[severity];
  return { alarmActions: [topic], okActions: severity === "info" ? [] : [topic] };
}

function isMath(m: MetricSource | MathSource): m is MathSource {
  return "expression" in m;
}

/** Pure: the exact MetricAlarm arguments for a spec. Throws (naming the alarm) when the window breaks CloudWatch's rules. */
export function metricAlarmArgs(
  id: string,
  spec: AlarmSpec,
  routing: AlarmRouting,
): aws.cloudwatch.MetricAlarmArgs {
  const name = alarmName(routing.stack, id, spec.summary.replace(/\.$/, ""));
  const problem = checkAlarmWindow(spec.periodSeconds, spec.evaluationPeriods, spec.datapointsToAlarm);
  if (problem) throw new Error(`alarm "${name}": ${problem}`);
  const base = {
    name,
    alarmDescription: alarmDescription(spec.severity, spec.summary, spec.page, routing),
    actionsEnabled: routing.actionsEnabled,
    ...alarmActions(spec.severity, routing, spec.notify ?? true, spec.region),
    comparisonOperator: spec.comparisonOperator,
    threshold: spec.threshold,
    evaluationPeriods: spec.evaluationPeriods,
    ...(spec.datapointsToAlarm !== undefined ? { datapointsToAlarm: spec.datapointsToAlarm } : {}),
    treatMissingData: spec.treatMissingData,
    tags: { severity: spec.severity, "alarm-page": spec.page },
    ...(spec.region ? { region: spec.region } : {}),
  };
  const m = spec.metric;
  if (isMath(m)) {
    return {
      ...base,
      metricQueries: [
        { id: "e1", expression: m.expression, label: m.label, returnData: true },
        ...Object.entries(m.metrics).map(([qid, source]) => ({
          id: qid,
          returnData: false,
          metric: {
            namespace: source.namespace,
            metricName: source.metricName,
            dimensions: source.dimensions ?? {},
            period: spec.periodSeconds,
            stat: source.stat,
          },
        })),
      ],
    };
  }
  const percentile = /^p\d+(\.\d+)?$/.test(m.stat);
  return {
    ...base,
    namespace: m.namespace,
    metricName: m.metricName,
    dimensions: m.dimensions ?? {},
    period: spec.periodSeconds,
    ...(percentile ? { extendedStatistic: m.stat } : { statistic: m.stat }),
  };
}

export function metricAlarm(
  id: string,
  spec: AlarmSpec,
  routing: AlarmRouting,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.MetricAlarm {
  return new aws.cloudwatch.MetricAlarm(`${id}-alarm`, metricAlarmArgs(id, spec, routing), opts);
}

export interface CompositeSpec {
  readonly severity: Severity;
  /** Region of the composite and all its members (composite alarms cannot span regions). */
  readonly region?: string;
  readonly page: string;
  readonly summary: string;
  /** Alarm rule over other alarms' names, e.g. `ALARM("a") OR ALARM("b")`. */
  readonly rule: pulumi.Input<string>;
  /** An alarm whose ALARM state mutes this one's actions (a maintenance window). */
  readonly suppressor?: {
    readonly alarmName: pulumi.Input<string>;
    /** Seconds to wait for the suppressor to reach ALARM after this alarm fires. */
    readonly waitPeriodSeconds: number;
    /** Seconds to stay muted after the suppressor leaves ALARM; then, if still in ALARM, this alarm acts. */
    readonly extensionPeriodSeconds: number;
  };
}

/** `ALARM("name")` terms joined with OR: a rollup that pages once when any member fires. */
export function anyOf(names: readonly pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.all([...names]).apply((ns) =>
    ns
      .map((n) => {
        if (/["\\]/.test(n)) throw new Error(`alarm name ${n} cannot be quoted in a composite rule`);
        return `ALARM("${n}")`;
      })
      .join(" OR "),
  );
}

export function compositeAlarmArgs(
  id: string,
  spec: CompositeSpec,
  routing: AlarmRouting,
): aws.cloudwatch.CompositeAlarmArgs {
  return {
    alarmName: alarmName(routing.stack, id, spec.summary.replace(/\.$/, "")),
    alarmDescription: alarmDescription(spec.severity, spec.summary, spec.page, routing),
    alarmRule: spec.rule,
    actionsEnabled: routing.actionsEnabled,
    ...alarmActions(spec.severity, routing, true, spec.region),
    ...(spec.region ? { region: spec.region } : {}),
    ...(spec.suppressor
      ? {
          actionsSuppressor: {
            alarm: spec.suppressor.alarmName,
            waitPeriod: spec.suppressor.waitPeriodSeconds,
            extensionPeriod: spec.suppressor.extensionPeriodSeconds,
          },
        }
      : {}),
    tags: { severity: spec.severity, "alarm-page": spec.page },
  };
}

export function compositeAlarm(
  id: string,
  spec: CompositeSpec,
  routing: AlarmRouting,
  opts: pulumi.CustomResourceOptions,
): aws.cloudwatch.CompositeAlarm {
  return new aws.cloudwatch.CompositeAlarm(`${id}-composite`, compositeAlarmArgs(id, spec, routing), opts);
}
