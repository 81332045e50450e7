// Checks a job's arguments before anything is declared: everything that would otherwise fail halfway through `pulumi up`.
import type * as pulumi from "@pulumi/pulumi";
import { LAMBDA_MAX_TIMEOUT_SECONDS } from "../aws-limits";
import { assertStatementsNarrow } from "../policies/job-role";
import { isValidTimezone, parseScheduleExpression } from "../schedule";
import type { MaintenanceJobArgs } from "./job-args";
import type { JobRunner } from "./runner";

const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL)/i;

/** Validates everything that would otherwise fail halfway through `pulumi up`, naming the job and the value. */
export function validateJobArgs(args: MaintenanceJobArgs, runner: JobRunner): void {
  const where = `job ${args.job}`;
  if (args.timeoutSeconds < 1 || args.timeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS) {
    throw new Error(
      `${where}: timeoutSeconds ${args.timeoutSeconds} must be 1-${LAMBDA_MAX_TIMEOUT_SECONDS}`,
    );
  }
  if (args.memoryMb < 128 || args.memoryMb > 10_240)
    throw new Error(`${where}: memoryMb ${args.memoryMb} must be 128-10240`);
  if (!Number.isInteger(args.reservedConcurrency) || args.reservedConcurrency < 1) {
    throw new Error(`${where}: reservedConcurrency must be a whole number >= 1`);
  }
  if (args.schedules.length === 0 && !args.invokedBy)
    throw new Error(`${where}: needs at least one schedule (or an invokedBy service)`);
  runner.validate(args, where);
  const names = new Set<string>();
  for (const s of args.schedules) {
    if (names.has(s.name)) throw new Error(`${where}: duplicate schedule name "${s.name}"`);
    names.add(s.name);
    try {
      parseScheduleExpression(s.expression);
    } catch (e) {
      throw new Error(`${where} schedule ${s.name}: ${(e as Error).message}`);
    }
    if (!isValidTimezone(s.timezone))
      throw new Error(`${where} schedule ${s.name}: "${s.timezone}" is not an IANA timezone`);
  }
  assertStatementsNarrow(
    args.job,
    args.statements.map((st) => ({
      ...st,
      resources: st.resources.map((r: pulumi.Input<string>) =>
        typeof r === "string" ? r : "(resolved later)",
      ),
    })),
  );
  for (const key of Object.keys(args.environment ?? {})) {
    if (SECRET_NAME.test(key)) {
      throw new Error(
        `${where}: environment variable ${key} looks like a secret; read it from Secrets Manager at run time`,
      );
    }
  }
}
