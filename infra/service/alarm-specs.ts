// The runbook alarms of a service as pure specs, source by source: load balancer, database, hosts, Redis, logs.
import type { MonitoringConfig } from "../config/monitoring";
import type { Member } from "./alarm-member";
import { databaseAlarms } from "./database-alarms";
import { hostAlarms } from "./host-alarms";
import { loadBalancerAlarms } from "./load-balancer-alarms";
import { logAlarms } from "./log-alarms";
import { redisAlarms } from "./redis-alarms";

/** The runbook alarms as specs (pure): each with its threshold, period, severity and page, in declaration order. */
export function serviceAlarmSpecs(stack: string, m: MonitoringConfig): Member[] {
  return [
    ...loadBalancerAlarms(stack, m),
    ...databaseAlarms(m),
    ...hostAlarms(m),
    ...redisAlarms(m),
    ...logAlarms(stack, m),
  ];
}
