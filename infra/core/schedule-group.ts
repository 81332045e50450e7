// The stack's EventBridge Scheduler group, with the group-level alarms Scheduler publishes (target errors, drops).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmRouting, anyInFiveMinutes, metricAlarm } from "./alarm";
import { physicalName } from "./naming";

export interface ScheduleGroupArgs {
  readonly namePrefix: string;
  readonly routing: AlarmRouting;
  readonly tags?: Record<string, string>;
}

export class MaintenanceScheduleGroup extends pulumi.ComponentResource {
  readonly groupName: pulumi.Output<string>;

  constructor(name: string, args: ScheduleGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:jobs:MaintenanceScheduleGroup", name, {}, opts);
    const parent = { parent: this };
    const groupName = physicalName("scheduleGroup", args.namePrefix, "maintenance");
    const group = new aws.scheduler.ScheduleGroup(
      `${name}-group`,
      { name: groupName, tags: args.tags },
      parent,
    );
    // Scheduler publishes per-group metrics in AWS/Scheduler with the ScheduleGroup dimension.
    // https://docs.aws.amazon.com/scheduler/latest/UserGuide/monitoring-cloudwatch.html
    const scheduler = (metricName: string) => ({
      namespace: "AWS/Scheduler",
      metricName,
      dimensions: { ScheduleGroup: groupName },
      stat: "Sum",
    });
    metricAlarm(
      `${name}-target-errors`,
      anyInFiveMinutes(
        "warning",
        "job-scheduler-target-errors",
        `EventBridge Scheduler could not invoke a job in ${groupName} (TargetErrorCount).`,
        scheduler("TargetErrorCount"),
      ),
      args.routing,
      { parent: this, dependsOn: [group] },
    );
    metricAlarm(
      `${name}-dropped`,
      anyInFiveMinutes(
        "critical",
        "job-scheduler-dropped",
        `EventBridge Scheduler dropped invocations in ${groupName} after all retries (InvocationDroppedCount).`,
        scheduler("InvocationDroppedCount"),
      ),
      args.routing,
      { parent: this, dependsOn: [group] },
    );
    this.groupName = group.name;
    this.registerOutputs({ groupName: this.groupName });
  }
}
