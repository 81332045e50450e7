// The short per-stack summary the plan prints: resources by type, schedules with their next local run, alarms by
// severity, the estimated monthly cost and its assumptions.
import { DateTime } from "luxon";
import { nextRuns } from "../../infra/core/schedule";
import { costSummary, estimateCost, sizesFromConfig } from "../cost/estimate";
import type { PlannedResource } from "./record-stack";

export interface SummaryInput {
  readonly plan: { stack: string; resources: readonly PlannedResource[] };
  readonly outputs: { warnings: readonly string[]; notes: readonly string[] };
  readonly missingSecrets: readonly string[];
  readonly config?: { readonly region: string } & Parameters<typeof sizesFromConfig>[0];
}

const SCHEDULE = "aws:scheduler/schedule:Schedule";
const ALARM_TYPES = new Set([
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:cloudwatch/compositeAlarm:CompositeAlarm",
]);

/** Severity is the `[CRITICAL]`-style prefix the alarm factory writes into every description. */
export function severityOf(resource: PlannedResource): string {
  const description = String(resource.inputs.alarmDescription ?? "");
  return /^\[(CRITICAL|WARNING|INFO)\]/.exec(description)?.[1]?.toLowerCase() ?? "unlabelled";
}

/** Next run of a schedule, in its own timezone, or why there is none. */
export function nextRunText(expression: string, timezone: string, now: Date): string {
  try {
    const [next] = nextRuns(expression, timezone, now, 1);
    if (!next) return "no future run";
    return DateTime.fromJSDate(next, { zone: timezone }).toFormat("ccc yyyy-LL-dd HH:mm ZZZZ");
  } catch (e) {
    return `invalid: ${(e as Error).message}`;
  }
}

export function summarize(input: SummaryInput, now: Date = new Date()): string {
  const { plan } = input;
  const lines: string[] = [];
  const region = input.config?.region;
  lines.push(`== ${plan.stack}${region ? ` (${region})` : ""}: ${plan.resources.length} resources ==`);

  const byType = new Map<string, number>();
  for (const r of plan.resources) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  lines.push("resources by type:");
  for (const [type, n] of [...byType].sort(([a], [b]) => (a < b ? -1 : 1)))
    lines.push(`  ${String(n).padStart(4)}  ${type}`);

  const schedules = plan.resources.filter((r) => r.type === SCHEDULE);
  if (schedules.length) {
    lines.push("schedules (next run, local time):");
    for (const s of schedules) {
      const expr = String(s.inputs.scheduleExpression ?? "");
      const tz = String(s.inputs.scheduleExpressionTimezone ?? "UTC");
      lines.push(`  ${s.name}: ${expr} ${tz} -> ${nextRunText(expr, tz, now)}`);
    }
  }

  const alarms = plan.resources.filter((r) => ALARM_TYPES.has(r.type));
  if (alarms.length) {
    const counts = new Map<string, number>();
    for (const a of alarms) counts.set(severityOf(a), (counts.get(severityOf(a)) ?? 0) + 1);
    const disabled = alarms.filter((a) => a.inputs.actionsEnabled === false).length;
    lines.push(
      `alarms by severity: ${["critical", "warning", "info", "unlabelled"]
        .filter((s) => counts.has(s))
        .map((s) => `${s} ${counts.get(s)}`)
        .join(", ")}${disabled ? ` (actions disabled on ${disabled})` : ""}`,
    );
  }

  lines.push(...costSummary(estimateCost(input.plan, input.config ? sizesFromConfig(input.config) : {})));
  for (const n of input.outputs.notes) lines.push(n);
  for (const w of input.outputs.warnings) lines.push(`WARNING: ${w}`);
  if (input.missingSecrets.length) {
    lines.push(
      `secrets not in the stack file (offline stand-ins used; set them with \`pulumi config set --secret\` before \`pulumi up\`): ${input.missingSecrets.join(", ")}`,
    );
  }
  return lines.join("\n");
}
