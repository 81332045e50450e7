// One runbook alarm as a pure spec, and the threshold rule (severity, period, evaluation) every alert table row shares.
import type { AlarmSpec, Severity } from "../core/alarm";

export interface Member {
  readonly id: string;
  readonly spec: AlarmSpec;
  /** Part of the "system down" rollup (pages once) rather than paging by itself. */
  readonly systemDown: boolean;
}

export const GiB = 1024 ** 3;

/** A threshold row's window and severity; the metric alarm never notifies by itself (its composite pages). */
export const rule = (r: {
  severity: Severity;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm?: number;
}) => ({
  severity: r.severity,
  periodSeconds: r.periodSeconds,
  evaluationPeriods: r.evaluationPeriods,
  ...(r.datapointsToAlarm !== undefined ? { datapointsToAlarm: r.datapointsToAlarm } : {}),
  notify: false,
});
