// AWS's own documented limits in one place, as pure validators that return a message (or null) so config and
// components fail at preview time, on a laptop, instead of halfway through `pulumi up`.

/**
 * CloudWatch Logs retention values PutRetentionPolicy accepts.
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
export type LogRetentionDays = (typeof LOG_RETENTION_DAYS)[number];

export function checkLogRetention(days: number): string | null {
  return (LOG_RETENTION_DAYS as readonly number[]).includes(days)
    ? null
    : `${days} is not a CloudWatch Logs retention value; allowed: ${LOG_RETENTION_DAYS.join(", ")}`;
}

/** KMS automatic rotation period. https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html */
export const KMS_ROTATION_DAYS = { min: 90, max: 2560 } as const;
/** KMS key deletion waiting period. https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html */
export const KMS_DELETION_WINDOW_DAYS = { min: 7, max: 30 } as const;

export function checkRange(value: number, range: { min: number; max: number }, unit: string): string | null {
  return Number.isInteger(value) && value >= range.min && value <= range.max
    ? null
    : `${value} is outside ${range.min}-${range.max} ${unit} (whole numbers only)`;
}

/**
 * CloudWatch alarm evaluation window: period is 10, 20, 30 or a multiple of 60 seconds; period x evaluation periods
 * may not exceed 7 days, or 1 day when the period is under an hour.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export const ALARM_MAX_WINDOW_SECONDS = 7 * 86_400;
export const ALARM_MAX_WINDOW_SHORT_PERIOD_SECONDS = 86_400;

export function checkAlarmWindow(
  periodSeconds: number,
  evaluationPeriods: number,
  datapointsToAlarm?: number,
): string | null {
  if (
    !Number.isInteger(periodSeconds) ||
    !(
      periodSeconds === 10 ||
      periodSeconds === 20 ||
      periodSeconds === 30 ||
      (periodSeconds >= 60 && periodSeconds % 60 === 0)
    )
  ) {
    return `period ${periodSeconds}s is not allowed; use 10, 20, 30 or a multiple of 60 seconds`;
  }
  if (!Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)
    return `evaluationPeriods ${evaluationPeriods} must be a whole number >= 1`;
  if (datapointsToAlarm !== undefined && (datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods)) {
    return `datapointsToAlarm ${datapointsToAlarm} must be between 1 and evaluationPeriods (${evaluationPeriods})`;
  }
  const window = periodSeconds * evaluationPeriods;
  const max = periodSeconds < 3600 ? ALARM_MAX_WINDOW_SHORT_PERIOD_SECONDS : ALARM_MAX_WINDOW_SECONDS;
  return window <= max
    ? null
    : `period ${periodSeconds}s x ${evaluationPeriods} evaluation periods = ${window}s exceeds CloudWatch's ${max}s limit` +
        (periodSeconds < 3600 ? " for periods under an hour" : "");
}

/** A physical-name rule for one AWS service. */
export interface NameRule {
  readonly service: string;
  readonly min: number;
  readonly max: number;
  readonly pattern: RegExp;
  readonly allowed: string;
}

/** Name rules from each service's API reference (CreateBucket, CreateFunction, CreateTopic, CreateQueue, CreateRole, ...). */
export const NAME_RULES = {
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  s3Bucket: {
    service: "S3 bucket",
    min: 3,
    max: 63,
    pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    allowed: "lowercase letters, digits, '.', '-', starting and ending with a letter or digit",
  },
  // https://docs.aws.amazon.com/lambda/latest/api/API_CreateFunction.html (FunctionName: 64 characters for a plain name)
  lambdaFunction: {
    service: "Lambda function",
    min: 1,
    max: 64,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: "letters, digits, '-', '_'",
  },
  // https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html
  snsTopic: {
    service: "SNS topic",
    min: 1,
    max: 256,
    pattern: /^[A-Za-z0-9_-]+$/,
    allowed: "letters, digits, '-', '_'",
  },
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html
  sqsQueue: {
    service: "SQS queue",
    min: 1,
    max: 80,
    pattern: /^[A-Za-z0-9_-]+(\.fifo)?$/,
    allowed: "letters, digits, '-', '_' (and a .fifo suffix)",
  },
  // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html
  iamRole: {
    service: "IAM role",
    min: 1,
    max: 64,
    pattern: /^[\w+=,.@-]+$/,
    allowed: "letters, digits, '+=,.@_-'",
  },
  // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
  logGroup: {
    service: "CloudWatch log group",
    min: 1,
    max: 512,
    pattern: /^[.\-_/#A-Za-z0-9]+$/,
    allowed: "letters, digits, '._-/#'",
  },
  // https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html
  schedule: {
    service: "EventBridge schedule",
    min: 1,
    max: 64,
    pattern: /^[0-9a-zA-Z_.-]+$/,
    allowed: "letters, digits, '._-'",
  },
  scheduleGroup: {
    service: "EventBridge schedule group",
    min: 1,
    max: 64,
    pattern: /^[0-9a-zA-Z_.-]+$/,
    allowed: "letters, digits, '._-'",
  },
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
  alarm: {
    service: "CloudWatch alarm",
    min: 1,
    max: 255,
    pattern: /^\P{Cc}+$/u,
    allowed: "printable characters",
  },
  // https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html
  kmsAlias: {
    service: "KMS alias",
    min: 7,
    max: 256,
    pattern: /^alias\/(?!aws\/)[a-zA-Z0-9/_-]+$/,
    allowed: "'alias/' then letters, digits, '/_-' (not alias/aws/)",
  },
  // https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html
  ecrRepository: {
    service: "ECR repository",
    min: 2,
    max: 256,
    pattern: /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/,
    allowed: "lowercase letters, digits, '._-/' separators",
  },
  // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html
  eventRule: {
    service: "EventBridge rule",
    min: 1,
    max: 64,
    pattern: /^[.\-_A-Za-z0-9]+$/,
    allowed: "letters, digits, '._-'",
  },
  // https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreateMaintenanceWindow.html (windows,
  // targets and tasks share the pattern ^[a-zA-Z0-9_\-.]{3,128}$)
  ssmWindow: {
    service: "SSM maintenance window",
    min: 3,
    max: 128,
    pattern: /^[a-zA-Z0-9_.-]+$/,
    allowed: "letters, digits, '._-'",
  },
  // https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html
  firehoseStream: {
    service: "Firehose stream",
    min: 1,
    max: 64,
    pattern: /^[a-zA-Z0-9_.-]+$/,
    allowed: "letters, digits, '._-'",
  },
} as const satisfies Record<string, NameRule>;
export type NameKind = keyof typeof NAME_RULES;

export function checkName(kind: NameKind, name: string): string | null {
  const rule: NameRule = NAME_RULES[kind];
  if (name.length < rule.min || name.length > rule.max) {
    return `${rule.service} name "${name}" is ${name.length} characters; allowed ${rule.min}-${rule.max}`;
  }
  if (!rule.pattern.test(name))
    return `${rule.service} name "${name}" has characters outside ${rule.allowed}`;
  if (
    kind === "s3Bucket" &&
    (/\.\./.test(name) || /^\d+\.\d+\.\d+\.\d+$/.test(name) || name.startsWith("xn--"))
  ) {
    return `S3 bucket name "${name}" may not contain '..', look like an IP address, or start with xn--`;
  }
  return null;
}

/** IANA timezone names as EventBridge Scheduler accepts them (offsets like +05:30 and abbreviations like IST are not). */
export function checkTimezone(name: string): string | null {
  if (name === "UTC" || name === "Etc/UTC") return null;
  const known = Intl.supportedValuesOf("timeZone");
  if (known.includes(name)) return null;
  try {
    // Aliases (e.g. Asia/Calcutta) are valid IANA names even when not canonical.
    const canonical = new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
    if (name.includes("/") && known.includes(canonical)) return null;
  } catch {
    // fall through
  }
  return `"${name}" is not an IANA timezone name (e.g. Europe/London, Asia/Kolkata, UTC)`;
}

/**
 * Lambda's limit on the total size of environment variables, measured by envSizeBytes.
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
 */
export const LAMBDA_ENV_MAX_BYTES = 4096;
/** Lambda's maximum timeout. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
/** EventBridge Scheduler target input: up to 8192 characters. https://docs.aws.amazon.com/scheduler/latest/APIReference/API_Target.html */
export const SCHEDULER_INPUT_MAX_CHARS = 8192;
/** Scheduler retry policy bounds. https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html */
export const SCHEDULER_RETRY = {
  maxAttempts: { min: 0, max: 185 },
  maxEventAgeSeconds: { min: 60, max: 86_400 },
} as const;
/** Lambda async invoke config bounds. https://docs.aws.amazon.com/lambda/latest/api/API_PutFunctionEventInvokeConfig.html */
export const LAMBDA_ASYNC = {
  maxRetries: { min: 0, max: 2 },
  maxEventAgeSeconds: { min: 60, max: 21_600 },
} as const;
/** SQS message retention: 60 s to 14 days. */
export const SQS_RETENTION_SECONDS = { min: 60, max: 1_209_600 } as const;
/** RDS manual snapshot quota per region (default; raise it through Service Quotas). */
export const RDS_MANUAL_SNAPSHOT_QUOTA_DEFAULT = 100;

/**
 * The size Lambda holds against LAMBDA_ENV_MAX_BYTES: the UTF-8 bytes of the variables map serialized as JSON, so
 * the braces, quotes, colons and commas count, and every quote, backslash or control character inside a value
 * counts as its escape (a JSON JOB_CONFIG pays twice for each of its quotes). The Lambda documentation says only
 * that "the total size of all environment variables doesn't exceed 4 KB"; this is the measure its users document
 * (the limit error, "Lambda function configuration exceeds 4096 byte limit", is about the serialized map), and it
 * is never smaller than the sum of key and value bytes this check used to count.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html
 */
export function envSizeBytes(env: Readonly<Record<string, string>>): number {
  return Buffer.byteLength(JSON.stringify(env), "utf8");
}

/**
 * Fargate task sizes: CPU units and the memory (MiB) each allows.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
export const FARGATE_TASK_SIZES: Readonly<Record<number, { min: number; max: number; step: number }>> = {
  256: { min: 512, max: 2048, step: 512 },
  512: { min: 1024, max: 4096, step: 1024 },
  1024: { min: 2048, max: 8192, step: 1024 },
  2048: { min: 4096, max: 16_384, step: 1024 },
  4096: { min: 8192, max: 30_720, step: 1024 },
  8192: { min: 16_384, max: 61_440, step: 4096 },
  16384: { min: 32_768, max: 122_880, step: 8192 },
};

export function checkFargateSize(cpu: number, memoryMb: number): string | null {
  const size = FARGATE_TASK_SIZES[cpu];
  if (!size)
    return `Fargate cpu ${cpu} is not a task size; allowed: ${Object.keys(FARGATE_TASK_SIZES).join(", ")}`;
  // 256 CPU units allow 512, 1024 and 2048 MiB only (the 512 step starts at 512 and skips 1536).
  const ok =
    cpu === 256
      ? [512, 1024, 2048].includes(memoryMb)
      : memoryMb >= size.min && memoryMb <= size.max && (memoryMb - size.min) % size.step === 0;
  return ok
    ? null
    : `Fargate cpu ${cpu} allows memoryMb ${cpu === 256 ? "512, 1024 or 2048" : `${size.min}-${size.max} in steps of ${size.step}`}, not ${memoryMb}`;
}

/** S3 Object Lock default retention: at most 100 years. https://docs.aws.amazon.com/AmazonS3/latest/API/API_DefaultRetention.html */
export const OBJECT_LOCK_MAX_DAYS = 36_500;

/**
 * Secrets Manager rotation rules (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html
 * and https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html): schedules run in UTC,
 * no more often than every four hours; a window of 1-24 hours (`Duration`, "3h") must not run into the next UTC day
 * or the next window; a rate() window starts at midnight UTC; rate() counts 1-1000 days.
 */
export const SECRETS_ROTATION = {
  minIntervalHours: 4,
  durationHours: { min: 1, max: 24 },
  rateDays: { min: 1, max: 1000 },
} as const;

/** Problems of a rotation schedule's windows, from its next starts (UTC) and its window length. */
export function checkRotationWindows(starts: readonly Date[], durationHours: number): string | null {
  const d = SECRETS_ROTATION.durationHours;
  if (!Number.isInteger(durationHours) || durationHours < d.min || durationHours > d.max)
    return `window must be ${d.min}-${d.max} whole hours, not ${durationHours}`;
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    const end = start.getTime() + durationHours * 3_600_000;
    const nextDay = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate() + 1);
    if (end > nextDay)
      return `the ${durationHours}h window starting ${start.toISOString().slice(11, 16)} UTC runs into the next UTC day, which Secrets Manager refuses`;
    const next = starts[i + 1];
    if (next && next.getTime() - start.getTime() < SECRETS_ROTATION.minIntervalHours * 3_600_000)
      return `rotates more often than every ${SECRETS_ROTATION.minIntervalHours} hours, which Secrets Manager refuses`;
    if (next && end > next.getTime())
      return `the ${durationHours}h window runs into the next rotation's window`;
  }
  return null;
}
