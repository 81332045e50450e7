// One CloudWatch dashboard per stack, built from typed widget specs (never a pasted JSON blob).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { DashboardInputs } from "../capability";
import { physicalName } from "../core/naming";

export interface DashboardSpec {
  readonly stack: string;
  readonly region: string;
  /** Job name -> Lambda function name. */
  readonly jobs: readonly { readonly job: string; readonly functionName: string }[];
  readonly databases: readonly string[];
  /** Databases backed up by logical dumps (their jobs are `dump-<name>`, verified by `dump-verify`). */
  readonly dumpDatabases?: readonly string[];
  readonly endpoints: readonly string[];
  readonly logGroups: readonly string[];
  readonly alarmArns: readonly string[];
}

type Metric = (string | Record<string, unknown>)[];
interface Widget {
  readonly type: "metric" | "alarm" | "text";
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

const metricWidget = (
  title: string,
  region: string,
  metrics: Metric[],
  stat: string,
  extra: Record<string, unknown> = {},
): Widget => ({
  type: "metric",
  width: 12,
  height: 6,
  properties: { title, region, metrics, stat, period: 3600, view: "timeSeries", ...extra },
});

/** The dashboard body (pure): jobs, backups, certificates, logs and the service alarms, in that order. */
export function dashboardBody(spec: DashboardSpec): { widgets: (Widget & { x: number; y: number })[] } {
  const ns = `Maintenance/${spec.stack}`;
  const widgets: Widget[] = [];
  if (spec.jobs.length) {
    widgets.push(
      metricWidget(
        "Jobs: successful runs",
        spec.region,
        spec.jobs.map((j) => [ns, "JobSucceeded", "service", j.job]),
        "Sum",
      ),
    );
    widgets.push(
      metricWidget(
        "Jobs: errors",
        spec.region,
        spec.jobs.map((j) => ["AWS/Lambda", "Errors", "FunctionName", j.functionName]),
        "Sum",
      ),
    );
    widgets.push(
      metricWidget(
        "Jobs: duration p99 (ms)",
        spec.region,
        spec.jobs.map((j) => ["AWS/Lambda", "Duration", "FunctionName", j.functionName]),
        "p99",
      ),
    );
  }
  if (spec.databases.length) {
    widgets.push(
      metricWidget(
        "Backups: age of newest snapshot (s)",
        spec.region,
        spec.databases.map((d) => [
          ns,
          "NewestSnapshotAgeSeconds",
          "service",
          "backup-verify",
          "Database",
          d,
        ]),
        "Maximum",
      ),
    );
    widgets.push(
      metricWidget(
        "Backups: snapshots kept",
        spec.region,
        spec.databases.map((d) => [ns, "SnapshotsKept", "service", "backup-verify", "Database", d]),
        "Maximum",
      ),
    );
  }
  const dumps = spec.dumpDatabases ?? [];
  if (dumps.length) {
    widgets.push(
      metricWidget(
        "Dumps: age of newest verified dump (s)",
        spec.region,
        dumps.map((d) => [ns, "NewestGoodDumpAgeSeconds", "service", "dump-verify", "Database", d]),
        "Maximum",
      ),
    );
    widgets.push(
      metricWidget(
        "Dumps: size (bytes, zstd) and failures",
        spec.region,
        dumps.flatMap((d) => [
          [ns, "DumpBytes", "service", `dump-${d}`, "Database", d],
          [ns, "BackupFailed", "service", `dump-${d}`, "Database", d, { yAxis: "right" }],
        ]),
        "Maximum",
        { period: 86_400 },
      ),
    );
  }
  if (spec.endpoints.length) {
    widgets.push(
      metricWidget(
        "Certificates: days to expiry",
        spec.region,
        spec.endpoints.map((e) => [ns, "DaysToExpiry", "service", "cert-check", "Endpoint", e]),
        "Minimum",
        { period: 43_200 },
      ),
    );
  }
  if (spec.logGroups.length) {
    widgets.push(
      metricWidget(
        "Logs: days behind",
        spec.region,
        spec.logGroups.map((g) => [ns, "DaysBehind", "service", "log-archive", "LogGroup", g]),
        "Maximum",
      ),
    );
  }
  if (spec.alarmArns.length) {
    widgets.push({
      type: "alarm",
      width: 24,
      height: 6,
      properties: { title: "Service alarms", alarms: [...spec.alarmArns] },
    });
  }
  return { widgets: layout(widgets) };
}

/** Two 12-wide columns; full-width widgets start a new row. */
function layout(widgets: readonly Widget[]): (Widget & { x: number; y: number })[] {
  let x = 0;
  let y = 0;
  return widgets.map((w) => {
    if (x + w.width > 24) {
      x = 0;
      y += 6;
    }
    const placed = { ...w, x, y };
    x += w.width;
    return placed;
  });
}

/**
 * The dashboard spec from every capability's inputs, concatenated in list order; zip jobs come before image jobs, as
 * they always have (so the widgets, and the plan, do not move).
 */
export function dashboardSpec(
  stack: { readonly stack: string; readonly region: string; readonly namePrefix: string },
  inputs: readonly DashboardInputs[],
): pulumi.Output<DashboardSpec> {
  const all = <T>(pick: (d: DashboardInputs) => readonly T[] | undefined): T[] =>
    inputs.flatMap((d) => pick(d) ?? []);
  const jobs = all((d) => d.jobs);
  return pulumi.all(all((d) => d.alarmArns)).apply((alarmArns) => ({
    stack: stack.stack,
    region: stack.region,
    jobs: [...jobs.filter((j) => !j.image), ...jobs.filter((j) => j.image)].map(({ job }) => ({
      job,
      functionName: physicalName("lambdaFunction", stack.namePrefix, job),
    })),
    databases: all((d) => d.databases),
    dumpDatabases: all((d) => d.dumpDatabases),
    endpoints: all((d) => d.endpoints),
    logGroups: all((d) => d.logGroups),
    alarmArns,
  }));
}

export class StackDashboard extends pulumi.ComponentResource {
  constructor(
    name: string,
    args: { spec: pulumi.Input<DashboardSpec>; namePrefix: string },
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("maintenance:dashboard:StackDashboard", name, {}, opts);
    new aws.cloudwatch.Dashboard(
      `${name}-dashboard`,
      {
        dashboardName: physicalName("lambdaFunction", args.namePrefix, "maintenance"),
        dashboardBody: pulumi
          .output(args.spec)
          .apply((s) => JSON.stringify(dashboardBody(s as DashboardSpec))),
      },
      { parent: this },
    );
    this.registerOutputs({});
  }
}
