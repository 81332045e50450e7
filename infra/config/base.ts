// The config sections every stack has: the application, on-call paging, encryption keys and job defaults.
import { z } from "zod";
import { SCHEDULER_RETRY, LAMBDA_ASYNC } from "../core/aws-limits";
import { heartbeatWindowSeconds, MAX_WINDOW } from "../core/job/heartbeat";
import type { JobSchedule } from "../core/job/job-args";
import {
  email,
  kmsDeletionWindowDays,
  kmsRotationDays,
  logRetentionDays,
  region,
  slug,
  timezone,
} from "./rules";

export const appSection = z
  .object({
    /** Short name used in every physical name (e.g. "telemed"). */
    name: slug,
    /** prod stacks protect stateful resources and must have alarm actions. */
    environment: z.enum(["prod", "nonprod"]),
    /** The runbook this stack mirrors (file name under shared/runbooks), for reviewers. */
    runbook: z.string().min(1).optional(),
    /** Base URL of this repository; alarm descriptions link `<runbookBaseUrl>/docs/alarms/<page>.md`. */
    runbookBaseUrl: z.url("must be a URL such as https://github.com/acme/maintenance-stack/blob/main"),
    owner: email.optional(),
    /** Default IANA timezone of the runbook's times (schedules may override it). */
    timezone: timezone.default("UTC"),
    tags: z.record(z.string().regex(/^[\w.:/=+@ -]{1,128}$/), z.string().max(256)).default({}),
  })
  .strict();

const channel = z
  .object({
    emails: z.array(email).default([]),
    /** Subscribe the chat webhook (secret `maintenance:chatWebhookUrl`) to this severity. */
    chatWebhook: z.boolean().default(false),
  })
  .strict();

export const pagingSection = z
  .object({
    /** false keeps every alarm but disables its actions (dev). */
    actionsEnabled: z.boolean(),
    /** Which pager the critical topic posts to; its CloudWatch integration URL is the secret `maintenance:pagerUrl`. */
    pager: z.enum(["pagerduty", "opsgenie", "none"]),
    warning: channel.default({ emails: [], chatWebhook: false }),
    info: channel.default({ emails: [], chatWebhook: false }),
  })
  .strict();

export const encryptionSection = z
  .object({
    /** KMS automatic rotation period, 90-2560 days. */
    rotationDays: kmsRotationDays.default(365),
    /** KMS deletion waiting period, 7-30 days; 30 gives the most time to notice a mistaken deletion. */
    deletionWindowDays: kmsDeletionWindowDays.default(30),
    /** A second region for DR copies; a backups key is created there. */
    drRegion: region.optional(),
  })
  .strict();

export const jobsSection = z
  .object({
    logRetentionDays: logRetentionDays.default(30),
    schedulerRetry: z
      .object({
        maximumRetryAttempts: z
          .int()
          .min(SCHEDULER_RETRY.maxAttempts.min)
          .max(SCHEDULER_RETRY.maxAttempts.max)
          .default(3),
        maximumEventAgeSeconds: z
          .int()
          .min(SCHEDULER_RETRY.maxEventAgeSeconds.min)
          .max(SCHEDULER_RETRY.maxEventAgeSeconds.max)
          .default(3600),
      })
      .strict()
      .default({ maximumRetryAttempts: 3, maximumEventAgeSeconds: 3600 }),
    lambdaRetry: z
      .object({
        maximumRetryAttempts: z
          .int()
          .min(LAMBDA_ASYNC.maxRetries.min)
          .max(LAMBDA_ASYNC.maxRetries.max)
          .default(2),
        maximumEventAgeSeconds: z
          .int()
          .min(LAMBDA_ASYNC.maxEventAgeSeconds.min)
          .max(LAMBDA_ASYNC.maxEventAgeSeconds.max)
          .default(3600),
      })
      .strict()
      .default({ maximumRetryAttempts: 2, maximumEventAgeSeconds: 3600 }),
  })
  .strict();
export type JobsConfig = z.infer<typeof jobsSection>;

/**
 * Whether a Fargate job's heartbeat cannot watch it: its alarm must see a success within CloudWatch's 7-day window,
 * and a Fargate job has no cheap hourly age report like the Lambda jobs' heartbeat run (it would be an hourly task).
 */
export function fargateHeartbeatTooLong(
  schedules: readonly JobSchedule[],
  jobs: JobsConfig,
  runSeconds: number,
): boolean {
  const window = heartbeatWindowSeconds(
    schedules,
    {
      schedulerMaxAttempts: jobs.schedulerRetry.maximumRetryAttempts,
      schedulerMaxEventAgeSeconds: jobs.schedulerRetry.maximumEventAgeSeconds,
      lambdaMaxRetries: jobs.lambdaRetry.maximumRetryAttempts,
      lambdaMaxEventAgeSeconds: jobs.lambdaRetry.maximumEventAgeSeconds,
    },
    runSeconds,
    new Date(Date.UTC(2030, 0, 1)),
  );
  return window > MAX_WINDOW;
}
