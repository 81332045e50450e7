// Maintenance windows as markers: per region that has composites, Scheduler publishes MaintenanceWindowOpen each
// minute a window is open (its universal target, no Lambda), and an alarm on that metric mutes the region's composites.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { metricAlarm } from "../core/alarm";
import { physicalName } from "../core/naming";
import { type PolicyDocument, policy } from "../core/policies/document";
import { trustPolicy } from "../core/policies/job-role";
import { WINDOW_METRIC, windowCrons } from "./maintenance-windows";
import type { ServiceMonitoringArgs } from "./service-args";

/** The window schedules' role: publish only the stack's namespace, dead-letter to its own queues, use their keys. */
export function windowMarkerPolicy(stack: string, dlqArns: string[], keyArns: string[]): PolicyDocument {
  return policy([
    {
      Sid: "PublishWindowMetricOnly",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      // PutMetricData has no resource-level permissions; the namespace condition narrows it.
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": `Maintenance/${stack}` } },
    },
    {
      Sid: "DeadLetterToOwnQueues",
      Effect: "Allow",
      Action: "sqs:SendMessage",
      Resource: dlqArns,
    },
    {
      Sid: "UseMessagingKeys",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: keyArns,
    },
  ]);
}

/** Declares the window markers in every region and returns each region's suppressor alarm (none without windows). */
export function declareWindowMarkers(
  parent: pulumi.Resource,
  name: string,
  args: ServiceMonitoringArgs,
  regions: readonly string[],
): Record<string, aws.cloudwatch.MetricAlarm> {
  const suppressors: Record<string, aws.cloudwatch.MetricAlarm> = {};
  if (!args.config.maintenanceWindows.length) return suppressors;
  const identity = aws.getCallerIdentityOutput({}, { parent });
  const role = new aws.iam.Role(
    `${name}-windows-role`,
    {
      name: physicalName("iamRole", args.namePrefix, "maintenance-windows"),
      assumeRolePolicy: identity.accountId.apply((a) =>
        JSON.stringify(trustPolicy("scheduler.amazonaws.com", a)),
      ),
      tags: args.tags,
    },
    { parent },
  );
  const dlqs: aws.sqs.Queue[] = [];
  for (const region of regions) {
    const markers = declareRegionMarkers(parent, name, args, region, role);
    dlqs.push(markers.dlq);
    suppressors[region] = markers.suppressor;
  }
  new aws.iam.RolePolicy(
    `${name}-windows-policy`,
    {
      role: role.name,
      policy: pulumi
        .all([
          pulumi.all(dlqs.map((q) => q.arn)),
          pulumi.all(regions.map((r) => args.messagingKmsKeyArns[r]!)),
        ])
        .apply(([dlqArns, keys]) => JSON.stringify(windowMarkerPolicy(args.stack, dlqArns, keys))),
    },
    { parent },
  );
  return suppressors;
}

/** One region's markers: a DLQ, the window schedules (each window's crons), and the suppressor alarm. */
function declareRegionMarkers(
  parent: pulumi.Resource,
  name: string,
  args: ServiceMonitoringArgs,
  region: string,
  role: aws.iam.Role,
): { dlq: aws.sqs.Queue; suppressor: aws.cloudwatch.MetricAlarm } {
  const other = region !== args.region;
  const dlq = new aws.sqs.Queue(
    `${name}-windows-dlq${other ? `-${region}` : ""}`,
    {
      name: physicalName("sqsQueue", args.namePrefix, "maintenance-windows-dlq", ...(other ? [region] : [])),
      kmsMasterKeyId: args.messagingKmsKeyArns[region]!,
      messageRetentionSeconds: 1_209_600,
      ...(other ? { region } : {}),
      tags: args.tags,
    },
    { parent },
  );
  for (const w of args.config.maintenanceWindows) {
    windowCrons(w).forEach((expression, i) => {
      new aws.scheduler.Schedule(
        `${name}-window-${w.name}-${i}${other ? `-${region}` : ""}`,
        {
          name: physicalName("schedule", args.namePrefix, "window", w.name, String(i)),
          // Other regions use their default group: a schedule group is regional.
          groupName: other ? "default" : args.scheduleGroupName,
          description: `Marks maintenance window ${w.name} (${w.day} ${w.start}-${w.end}) open`,
          scheduleExpression: expression,
          scheduleExpressionTimezone: w.timezone ?? args.timezone,
          flexibleTimeWindow: { mode: "OFF" },
          state: "ENABLED",
          target: {
            // Scheduler's universal target calls CloudWatch PutMetricData directly; no Lambda needed.
            arn: "arn:aws:scheduler:::aws-sdk:cloudwatch:putMetricData",
            roleArn: role.arn,
            input: JSON.stringify({
              Namespace: `Maintenance/${args.stack}`,
              MetricData: [
                {
                  MetricName: WINDOW_METRIC,
                  Dimensions: [{ Name: "Window", Value: "any" }],
                  Value: 1,
                  Unit: "Count",
                },
              ],
            }),
            // A late marker is worthless: the next minute sends its own.
            retryPolicy: { maximumRetryAttempts: 2, maximumEventAgeInSeconds: 60 },
            deadLetterConfig: { arn: dlq.arn },
          },
          ...(other ? { region } : {}),
        },
        { parent },
      );
    });
  }
  const suppressor = metricAlarm(
    `${name}-window-open${other ? `-${region}` : ""}`,
    {
      severity: "info",
      page: "maintenance-window",
      summary: "A maintenance window is open; composite service alarms are muted until it closes.",
      metric: {
        namespace: `Maintenance/${args.stack}`,
        metricName: WINDOW_METRIC,
        dimensions: { Window: "any" },
        stat: "Maximum",
      },
      periodSeconds: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      // Datapoints stop when the window closes: back to OK by itself.
      treatMissingData: "notBreaching",
      ...(other ? { region } : {}),
    },
    args.routing,
    { parent },
  );
  return { dlq, suppressor };
}
