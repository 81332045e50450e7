// Config section `maintenance:rotation`: database users whose passwords Secrets Manager rotates (strategy, schedule,
// network), generated secrets the stack creates and rotates, and the daily check that reports each secret's age.
import { DateTime } from "luxon";
import { z } from "zod";
import { ALPHABETS, type Alphabet } from "../../lambdas/secret-rotation/config";
import { checkRotationWindows, SECRETS_ROTATION } from "../core/aws-limits";
import { nextRuns, parseScheduleExpression } from "../core/schedule";
import type { MaintenanceWindowConfig } from "./monitoring";
import { arn, networkFields, refuseDuplicateNames, scheduleEntry } from "./rules";

const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** The next rotation windows' starts (UTC): a rate() window starts at midnight UTC, a cron() one at its time. */
export function rotationStarts(
  expression: string,
  count: number,
  from = new Date(Date.UTC(2030, 0, 1)),
): Date[] {
  const rate = /^rate\((\d+) (hour|hours|day|days)\)$/.exec(expression);
  if (rate) {
    const hours = Number(rate[1]) * (rate[2]!.startsWith("day") ? 24 : 1);
    return Array.from({ length: count }, (_, k) => new Date(from.getTime() + (k + 1) * hours * 3_600_000));
  }
  return nextRuns(expression, "UTC", from, count);
}

/** The longest a healthy schedule goes between rotations, in days (a rate, or the cron's longest gap). */
export function rotationIntervalDays(expression: string): number {
  const starts = rotationStarts(expression, 60);
  let longest = 0;
  for (let i = 1; i < starts.length; i++)
    longest = Math.max(longest, starts[i]!.getTime() - starts[i - 1]!.getTime());
  return longest / 86_400_000;
}

/** Secrets Manager's schedule grammar: cron() as EventBridge writes it, or rate(N hours|days), in UTC. */
const rotationExpression = z.string().superRefine((value, ctx) => {
  const rate = /^rate\((\d+) (hour|hours|day|days)\)$/.exec(value);
  if (rate) {
    const n = Number(rate[1]);
    const days = rate[2]!.startsWith("day");
    if (!days && n < SECRETS_ROTATION.minIntervalHours)
      ctx.addIssue({
        code: "custom",
        message: `rotates at most every ${SECRETS_ROTATION.minIntervalHours} hours`,
      });
    if (days && (n < SECRETS_ROTATION.rateDays.min || n > SECRETS_ROTATION.rateDays.max))
      ctx.addIssue({ code: "custom", message: "rate() counts 1-1000 days" });
    return;
  }
  if (value.startsWith("rate(")) {
    ctx.addIssue({
      code: "custom",
      message: "must be rate(N hours) or rate(N days), or a cron() expression",
    });
    return;
  }
  try {
    const parsed = parseScheduleExpression(value);
    if (parsed.kind !== "cron")
      ctx.addIssue({ code: "custom", message: "must be a cron() or rate() expression" });
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
  }
});

const DURATION = /^([1-9]|1\d|2[0-4])h$/;

export const rotationSchedule = z
  .object({
    /** When the rotation window opens, in UTC (Secrets Manager has no timezone setting). */
    expression: rotationExpression,
    /** The window's length, "<n>h"; Secrets Manager rotates at some time inside it. */
    duration: z.string().regex(DURATION, "must be 1h-24h, e.g. 2h"),
  })
  .strict()
  .superRefine((s, ctx) => {
    const rate = /^rate\((\d+) hours?\)$/.exec(s.expression);
    // The expression's or the duration's own issue says it already.
    if (rate && Number(rate[1]) < SECRETS_ROTATION.minIntervalHours) return;
    if (!DURATION.test(s.duration)) return;
    let starts: Date[];
    try {
      starts = rotationStarts(s.expression, 12);
    } catch {
      return; // the expression's own issue is reported
    }
    const problem = checkRotationWindows(starts, Number(s.duration.slice(0, -1)));
    if (problem) ctx.addIssue({ code: "custom", path: ["duration"], message: problem });
  });
export type RotationSchedule = z.infer<typeof rotationSchedule>;

const rotatingUser = z
  .object({
    /** The user's secret (JSON: engine, host, port, username, password, dbname, ssl), kept outside the stack. */
    secretArn: arn("secretsmanager"),
    strategy: z.enum(["single-user", "alternating-users"]),
    /** alternating-users: a secret of a user that may create users and grant (read, never rotated here). */
    adminSecretArn: arn("secretsmanager").optional(),
    /** The customer-managed key encrypting these secrets, if not aws/secretsmanager. */
    kmsKeyArn: arn("kms").optional(),
  })
  .strict()
  .superRefine((u, ctx) => {
    if (u.strategy === "alternating-users" && !u.adminSecretArn)
      ctx.addIssue({
        code: "custom",
        path: ["adminSecretArn"],
        message: "required with alternating-users (the user that creates the clone and copies the grants)",
      });
    if (u.strategy === "single-user" && u.adminSecretArn)
      ctx.addIssue({
        code: "custom",
        path: ["adminSecretArn"],
        message: "only alternating-users uses an admin secret",
      });
  });

export const rotationDatabase = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be a short lowercase name"),
    engine: z.enum(["postgres", "mysql"]),
    users: z.array(rotatingUser).min(1),
    schedule: rotationSchedule,
    /** A private database: the rotation function runs in these subnets with these security groups. */
    network: z
      .object({
        ...networkFields,
        /** How the subnets reach Secrets Manager; without one stated, the plan warns. */
        secretsManagerRoute: z.enum(["interface-endpoint", "nat"]).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type RotationDatabase = z.infer<typeof rotationDatabase>;

const generatedSecret = z
  .object({
    /** Its name under the app's prefix: the secret is `<app>/<name>`. */
    name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "must be a lowercase name such as jwt-secret"),
    length: z.int().min(16).max(4096),
    alphabet: z.enum(Object.keys(ALPHABETS) as [Alphabet, ...Alphabet[]]).default("hex"),
    description: z.string().max(2048).optional(),
  })
  .strict();

export const rotationSection = z
  .object({
    databases: z.array(rotationDatabase).default([]),
    generated: z
      .object({
        secrets: z.array(generatedSecret).min(1),
        schedule: rotationSchedule,
        /** The app's IAM roles: with the rotation function, the only principals that may read these secrets. */
        readerRoleArns: z.array(arn("iam")).min(1),
      })
      .strict()
      .optional(),
    /** A version staged AWSPENDING (not current) longer than this is a stuck rotation. */
    stuckAfterHours: z.number().min(1).max(168).default(6),
    /** When the daily check runs. @default 06:00 UTC */
    check: scheduleEntry.default({ name: "daily", expression: "cron(0 6 * * ? *)", timezone: "UTC" }),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.databases.length === 0 && !r.generated)
      ctx.addIssue({ code: "custom", path: ["databases"], message: "list a database or generated secrets" });
    refuseDuplicateNames(ctx, r.databases, ["databases"], "database");
    const arns = new Set<string>();
    for (const [i, d] of r.databases.entries())
      for (const [j, u] of d.users.entries()) {
        if (arns.has(u.secretArn))
          ctx.addIssue({
            code: "custom",
            path: ["databases", i, "users", j, "secretArn"],
            message: "a secret has one rotation: listed twice",
          });
        arns.add(u.secretArn);
      }
  });
export type RotationConfig = z.infer<typeof rotationSection>;

const matchesDay = (day: string, local: DateTime) => {
  const name = day.slice(0, 3);
  if (DAY_NAMES[local.weekday % 7] !== name) return false;
  if (day.endsWith("L")) return local.day + 7 > (local.daysInMonth ?? 31);
  const nth = /#(\d)$/.exec(day);
  return nth ? Math.ceil(local.day / 7) === Number(nth[1]) : true;
};

/**
 * When the stack has maintenance windows, each of the next rotation windows must lie inside one of them (a password
 * change is a maintenance action); the problem, or null.
 */
export function rotationWindowProblem(
  schedule: RotationSchedule,
  windows: readonly MaintenanceWindowConfig[],
  appTimezone: string,
): string | null {
  if (windows.length === 0) return null;
  const hours = Number(schedule.duration.slice(0, -1));
  for (const start of rotationStarts(schedule.expression, 8)) {
    const end = start.getTime() + hours * 3_600_000;
    const fits = windows.some((w) => {
      const local = DateTime.fromJSDate(start, { zone: w.timezone ?? appTimezone });
      const [sh, sm] = w.start.split(":").map(Number) as [number, number];
      const [eh, em] = w.end.split(":").map(Number) as [number, number];
      // A window whose end is at or before its start ends the next day (SAT 23:00-01:00), and 24:00 is midnight, so
      // the window that holds this start may have opened the day before.
      const crosses = eh * 60 + em <= sh * 60 + sm;
      return [local, local.minus({ days: 1 })].some((anchor) => {
        if (!matchesDay(w.day, anchor)) return false;
        const day = anchor.startOf("day");
        const from = day.set({ hour: sh, minute: sm }).toMillis();
        const to = (crosses || eh === 24 ? day.plus({ days: 1 }) : day)
          .set({ hour: eh % 24, minute: em })
          .toMillis();
        return start.getTime() >= from && end <= to;
      });
    });
    if (!fits)
      return `the window ${start.toISOString().slice(0, 16)}Z + ${schedule.duration} is outside every maintenance window (${windows
        .map((w) => `${w.name}: ${w.day} ${w.start}-${w.end} ${w.timezone ?? appTimezone}`)
        .join(", ")}); move the schedule or shorten the window`;
  }
  return null;
}
