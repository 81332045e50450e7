// What ServiceMonitoring is given: the stack's monitoring section, its region and timezone, routing and keys.
import type * as pulumi from "@pulumi/pulumi";
import type { AlarmRouting } from "../core/alarm";
import type { MonitoringConfig } from "../config/monitoring";

export interface ServiceMonitoringArgs {
  readonly stack: string;
  readonly namePrefix: string;
  readonly region: string;
  readonly timezone: string;
  readonly config: MonitoringConfig;
  readonly routing: AlarmRouting;
  readonly scheduleGroupName: pulumi.Input<string>;
  /** Messaging key per region (window schedules' DLQs). */
  readonly messagingKmsKeyArns: Readonly<Record<string, pulumi.Input<string>>>;
  readonly tags?: Record<string, string>;
}
