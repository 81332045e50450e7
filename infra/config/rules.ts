// Zod building blocks that carry AWS's limits (from aws-limits.ts) into every config section's schema.
import { z } from "zod";
import { parseScheduleExpression } from "../core/schedule";
import {
  checkFargateSize,
  checkLogRetention,
  checkRange,
  checkTimezone,
  KMS_DELETION_WINDOW_DAYS,
  KMS_ROTATION_DAYS,
  LOG_RETENTION_DAYS,
} from "../core/aws-limits";

/** Wraps a `(value) => message | null` validator as a zod refinement so its message reaches the error report. */
export function limit<T extends z.ZodType>(schema: T, check: (value: z.infer<T>) => string | null): T {
  return schema.superRefine((value, ctx) => {
    const problem = check(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }) as T;
}

export const timezone = limit(z.string(), checkTimezone).describe("IANA timezone, e.g. Europe/London");

export const logRetentionDays = limit(z.number(), checkLogRetention).describe(
  `CloudWatch Logs retention: one of ${LOG_RETENTION_DAYS.join(", ")}`,
);

export const kmsRotationDays = limit(z.number(), (v) => checkRange(v, KMS_ROTATION_DAYS, "days"));
export const kmsDeletionWindowDays = limit(z.number(), (v) =>
  checkRange(v, KMS_DELETION_WINDOW_DAYS, "days"),
);

/** AWS region names such as eu-west-2, us-east-1, ap-south-1. */
export const region = z
  .string()
  .regex(
    /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/,
    "must be an AWS region name such as eu-west-2 or ap-south-1",
  );

export const email = z.email("must be an email address");

/** A lowercase slug used in physical names. */
export const slug = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{0,20}[a-z0-9]$/,
    "must be 2-22 lowercase letters, digits or '-', starting with a letter",
  );

export const arn = (service: string) =>
  z
    .string()
    .regex(
      new RegExp(`^arn:aws[a-z-]*:${service}:`),
      `must be an ARN of ${service} (arn:aws:${service}:...)`,
    );

/** A schedule expression EventBridge Scheduler accepts, checked with the same parser the plan uses. */
export const scheduleExpression = z.string().superRefine((value, ctx) => {
  try {
    parseScheduleExpression(value);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: (e as Error).message });
  }
});

export const scheduleEntry = z
  .object({
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]{0,20}$/, "must be a short lowercase id such as daily or every-6h"),
    expression: scheduleExpression,
    /** @default the app's timezone */
    timezone: timezone.optional(),
  })
  .strict();

export const subnetId = z
  .string()
  .regex(/^subnet-[0-9a-f]{8,17}$/, "must be a subnet id (subnet-0123456789abcdef0)");
export const securityGroupId = z
  .string()
  .regex(/^sg-[0-9a-f]{8,17}$/, "must be a security group id (sg-0123456789abcdef0)");

/** The subnets and security groups a job runs in (Lambda allows 16 subnets and 5 security groups). */
export const networkFields = {
  subnetIds: z.array(subnetId).min(1).max(16),
  securityGroupIds: z.array(securityGroupId).min(1).max(5),
};

/** A private database's network, for the jobs that reach it. */
export const jobNetwork = z.object(networkFields).strict();

/**
 * Adds an issue at `[...at, i, "name"]` for every entry whose name an earlier entry already has: the one check of
 * every list whose entries are referred to (and named in resources) by name. Returns the names seen.
 */
export function refuseDuplicateNames(
  ctx: z.RefinementCtx,
  entries: readonly { readonly name: string }[],
  at: readonly (string | number)[],
  what: string,
): Set<string> {
  const seen = new Set<string>();
  for (const [i, e] of entries.entries()) {
    if (seen.has(e.name))
      ctx.addIssue({ code: "custom", path: [...at, i, "name"], message: `duplicate ${what} "${e.name}"` });
    seen.add(e.name);
  }
  return seen;
}

/**
 * How a job reaches a database: the server, the database on it, the user, and the Secrets Manager secret holding the
 * password (plain, or JSON with `password`): the ARN only, never the value. Dumps and maintenance connect alike.
 */
export const databaseConnection = z
  .object({
    host: z.string().regex(/^[A-Za-z0-9.-]{1,253}$/, "must be a host name or IP address"),
    /** @default 5432 for postgres, 3306 for mysql */
    port: z.int().min(1).max(65_535).optional(),
    /** The database (schema) name on the server, e.g. skillswap_db; MySQL allows 64 characters, PostgreSQL 63 bytes. */
    database: z.string().min(1).max(64),
    user: z.string().min(1).max(128),
    passwordSecretArn: arn("secretsmanager"),
    /** libpq sslmode (postgres). */
    sslMode: z.enum(["disable", "prefer", "require", "verify-full"]).optional(),
  })
  .strict();

const fargateFields = { cpu: z.int(), memoryMb: z.int() };

/** A valid Fargate CPU/memory pair (aws-limits.ts). */
const checkSize = (f: { cpu: number; memoryMb: number }, ctx: z.RefinementCtx) => {
  const problem = checkFargateSize(f.cpu, f.memoryMb);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
};

/** A Fargate task's size: a valid CPU/memory pair. */
export const fargateSize = (defaults: { cpu: number; memoryMb: number }) =>
  z.object(fargateFields).strict().default(defaults).superRefine(checkSize);

/** A Fargate task's size and the deadline after which it stops itself (Fargate has no timeout of its own) and fails. */
export const fargateTask = (defaults: { cpu: number; memoryMb: number; timeoutMinutes: number }) =>
  z
    .object({
      ...fargateFields,
      // At most 20 hours: a dump's staging upload is aborted by lifecycle one day after it starts.
      timeoutMinutes: z.int().min(5).max(1200).default(defaults.timeoutMinutes),
    })
    .strict()
    .default(defaults)
    .superRefine(checkSize);
