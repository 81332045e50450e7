// Credential rotation: a rotation function per database (in its network) and one for the stack's generated secrets,
// Secrets Manager's rotation schedules, the created secrets (stack key, resource policy), the daily check, and the
// alarms that make a failed, stalled or overdue rotation page.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmSpec, anyInAnHour, metricAlarm } from "../core/alarm";
import type { RotationConfig, RotationDatabase, RotationSchedule } from "../config/rotation";
import { rotationIntervalDays } from "../config/rotation";
import { type JobDefaults, jobDefaultsOf, MaintenanceJob } from "../core/job/maintenance-job";
import {
  createdSecretPolicy,
  rotationCheckStatements,
  rotationStatements,
} from "../core/policies/secret-policy";

export interface CredentialRotationArgs extends JobDefaults {
  readonly stack: string;
  readonly namePrefix: string;
  readonly region: string;
  readonly config: RotationConfig;
  /** The stack's `secrets` key: it encrypts the secrets the stack creates (required with generated secrets). */
  readonly secretsKeyArn?: pulumi.Input<string>;
  /** prod: protect created secrets from `pulumi destroy`. */
  readonly protect: boolean;
  readonly tags?: Record<string, string>;
}

/** A secret's short id from its ARN (`appointments/db-backup`), without Secrets Manager's 6-character suffix. */
export function secretIdOf(arn: string): string {
  const name = arn.split(":secret:")[1] ?? arn;
  return name.replace(/-[A-Za-z0-9]{6}$/, "");
}
/** The `Secret` metric dimension and resource-name part: the id with `/` and other characters as `-`. */
export const secretKeyOf = (id: string) => id.replace(/[^A-Za-z0-9-]/g, "-");

/** Secrets Manager's rotation rules, as the provider takes them. */
const rulesOf = (s: RotationSchedule) => ({ scheduleExpression: s.expression, duration: s.duration });

/** Overdue past the longest healthy interval, its window, and one day for the check's own cadence. */
export function maxAgeDays(s: RotationSchedule): number {
  return Math.ceil((rotationIntervalDays(s.expression) + Number(s.duration.slice(0, -1)) / 24 + 1) * 10) / 10;
}

interface Watched {
  readonly key: string;
  readonly arn: pulumi.Input<string>;
  readonly job: string;
  readonly maxAgeDays: number;
  readonly intervalDays: number;
}

export class CredentialRotation extends pulumi.ComponentResource {
  readonly warnings: string[] = [];
  readonly notes: string[] = [];
  readonly alarmArns: pulumi.Output<string>[] = [];
  /** The created secrets' ARNs, by name. */
  readonly secretArns: Record<string, pulumi.Output<string>> = {};
  private readonly watched: Watched[] = [];

  constructor(
    name: string,
    private readonly args: CredentialRotationArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("maintenance:rotation:CredentialRotation", name, {}, opts);
    for (const d of args.config.databases) this.database(name, d);
    if (args.config.generated) this.generated(name, args.config.generated);
    this.check(name);
    this.registerOutputs({ secretArns: this.secretArns });
  }

  private job(
    name: string,
    job: string,
    description: string,
    jobConfig: pulumi.Input<object>,
    extra: object,
  ) {
    const j = new MaintenanceJob(
      name,
      {
        stack: this.args.stack,
        namePrefix: this.args.namePrefix,
        job,
        codeDir: "secret-rotation",
        invokedBy: "secretsmanager.amazonaws.com",
        description,
        memoryMb: 256,
        // A step logs in at most three times with a 10 s connect timeout each; Secrets Manager retries a failed step.
        timeoutSeconds: 120,
        reservedConcurrency: 2,
        jobConfig,
        schedules: [],
        statements: [],
        ...jobDefaultsOf(this.args),
        ...extra,
      },
      { parent: this },
    );
    this.warnings.push(...j.warnings);
    return j;
  }

  /** One database: its rotation function (in its network), a rotation schedule per user, a failure alarm each. */
  private database(name: string, d: RotationDatabase): void {
    const job = `rotate-${d.name}`;
    const users = d.users.map((u) => ({ ...u, key: secretKeyOf(secretIdOf(u.secretArn)) }));
    const fn = this.job(
      `${name}-${d.name}`,
      job,
      `Rotates ${d.engine} passwords of ${d.name} for ${this.args.stack}`,
      {
        secrets: users.map((u) => ({
          kind: "database",
          name: u.key,
          arn: u.secretArn,
          engine: d.engine,
          strategy: u.strategy,
          ...(u.adminSecretArn ? { adminSecretArn: u.adminSecretArn } : {}),
        })),
      },
      {
        reservedConcurrency: users.length + 1,
        statements: rotationStatements({
          secretArns: users.map((u) => u.secretArn),
          adminSecretArns: [...new Set(users.flatMap((u) => (u.adminSecretArn ? [u.adminSecretArn] : [])))],
          kmsKeyArns: [...new Set(users.flatMap((u) => (u.kmsKeyArn ? [u.kmsKeyArn] : [])))],
          region: this.args.region,
        }),
        ...(d.network
          ? { network: { subnetIds: d.network.subnetIds, securityGroupIds: d.network.securityGroupIds } }
          : {}),
      },
    );
    if (d.network && !d.network.secretsManagerRoute)
      this.warnings.push(
        `rotation ${d.name}: the rotation function runs in subnets ${d.network.subnetIds.join(", ")} with no stated route to Secrets Manager (set network.secretsManagerRoute: interface-endpoint or nat once one exists); without one every step times out`,
      );
    for (const u of users) {
      // The first rotation waits for the schedule: changing a live password at `pulumi up` is an operator's call.
      new aws.secretsmanager.SecretRotation(
        `${name}-${u.key}`,
        {
          secretId: u.secretArn,
          rotationLambdaArn: fn.functionArn,
          rotationRules: rulesOf(d.schedule),
          rotateImmediately: false,
        },
        { parent: this, dependsOn: [fn] },
      );
      this.failureAlarm(name, u.key, job);
      this.watched.push({
        key: u.key,
        arn: u.secretArn,
        job,
        maxAgeDays: maxAgeDays(d.schedule),
        intervalDays: rotationIntervalDays(d.schedule.expression),
      });
      this.notes.push(
        `rotation ${u.key}: ${u.strategy} ${d.engine}, ${d.schedule.expression} UTC, window ${d.schedule.duration}`,
      );
    }
  }

  /** Secrets the stack creates: the stack key, a resource policy, rotated at once and then on their schedule. */
  private generated(name: string, g: NonNullable<RotationConfig["generated"]>): void {
    if (!this.args.secretsKeyArn) throw new Error("CredentialRotation: generated secrets need secretsKeyArn");
    const created = g.secrets.map((s) => ({
      ...s,
      secret: new aws.secretsmanager.Secret(
        `${name}-${s.name}`,
        {
          name: `${this.args.namePrefix}/${s.name}`,
          description: s.description ?? `${s.length} ${s.alphabet} characters, rotated by maintenance-stack`,
          kmsKeyId: this.args.secretsKeyArn,
          recoveryWindowInDays: 30,
          tags: this.args.tags,
        },
        { parent: this, protect: this.args.protect },
      ),
    }));
    const job = "rotate-generated";
    const fn = this.job(
      `${name}-generated`,
      job,
      `Rotates the generated secrets of ${this.args.stack}`,
      {
        secrets: created.map((s) => ({
          kind: "generated",
          name: s.name,
          arn: s.secret.arn,
          length: s.length,
          alphabet: s.alphabet,
        })),
      },
      {
        statements: rotationStatements({
          secretArns: created.map((s) => s.secret.arn),
          adminSecretArns: [],
          kmsKeyArns: [this.args.secretsKeyArn],
          region: this.args.region,
        }),
      },
    );
    for (const s of created) {
      this.secretArns[s.name] = s.secret.arn;
      const policy = new aws.secretsmanager.SecretPolicy(
        `${name}-${s.name}-policy`,
        {
          secretArn: s.secret.arn,
          policy: fn.roleArn.apply((role) => JSON.stringify(createdSecretPolicy(g.readerRoleArns, role))),
          blockPublicPolicy: true,
        },
        { parent: this },
      );
      // Rotated at once: the first rotation writes the first value (the secret is created empty).
      new aws.secretsmanager.SecretRotation(
        `${name}-${s.name}-rotation`,
        {
          secretId: s.secret.arn,
          rotationLambdaArn: fn.functionArn,
          rotationRules: rulesOf(g.schedule),
          rotateImmediately: true,
        },
        { parent: this, dependsOn: [fn, policy] },
      );
      this.failureAlarm(name, s.name, job);
      this.watched.push({
        key: s.name,
        arn: s.secret.arn,
        job,
        maxAgeDays: maxAgeDays(g.schedule),
        intervalDays: rotationIntervalDays(g.schedule.expression),
      });
      this.notes.push(
        `rotation ${this.args.namePrefix}/${s.name}: ${s.length} ${s.alphabet} characters, ${g.schedule.expression} UTC, window ${g.schedule.duration}; the app restart that loads it is a human step`,
      );
    }
  }

  private failureAlarm(name: string, key: string, job: string): void {
    const spec = anyInAnHour(
      "warning",
      "rotation-failed",
      `Rotation of ${key} failed at a step of ${job}; AWSCURRENT is unchanged and Secrets Manager retries.`,
      {
        namespace: `Maintenance/${this.args.stack}`,
        metricName: "RotationFailed",
        dimensions: { service: job, Secret: key },
        stat: "Maximum",
      },
    );
    this.alarmArns.push(metricAlarm(`${name}-${key}-failed`, spec, this.args.routing, { parent: this }).arn);
  }

  /** The daily check of every rotating secret, and its overdue and stuck alarms per secret. */
  private check(name: string): void {
    const cfg = this.args.config;
    const check = new MaintenanceJob(
      `${name}-check`,
      {
        stack: this.args.stack,
        namePrefix: this.args.namePrefix,
        job: "rotation-check",
        description: `Days since each secret's last rotation, and stuck AWSPENDING versions, for ${this.args.stack}`,
        memoryMb: 256,
        timeoutSeconds: 120,
        reservedConcurrency: 1,
        jobConfig: pulumi.all(this.watched.map((w) => w.arn)).apply((arns) => ({
          secrets: this.watched.map((w, i) => ({
            name: w.key,
            arn: arns[i]!,
            maxAgeDays: w.maxAgeDays,
            intervalDays: w.intervalDays,
          })),
          stuckAfterHours: cfg.stuckAfterHours,
        })),
        statements: rotationCheckStatements(this.watched.map((w) => w.arn)),
        schedules: [
          {
            name: cfg.check.name,
            expression: cfg.check.expression,
            timezone: cfg.check.timezone ?? "UTC",
            input: {},
          },
        ],
        ...jobDefaultsOf(this.args),
      },
      { parent: this },
    );
    this.warnings.push(...check.warnings);
    for (const w of this.watched) {
      const metric = (metricName: string) => ({
        namespace: `Maintenance/${this.args.stack}`,
        metricName,
        dimensions: { service: "rotation-check", Secret: w.key },
        stat: "Maximum",
      });
      const daily = {
        periodSeconds: 86_400,
        evaluationPeriods: 1,
        comparisonOperator: "GreaterThanThreshold",
      } as const;
      const overdue: AlarmSpec = {
        severity: "warning",
        page: "rotation-overdue",
        summary: `${w.key} has not rotated for over ${w.maxAgeDays} days (its schedule rotates it sooner), or the daily check could not read it.`,
        metric: metric("DaysSinceLastRotation"),
        ...daily,
        threshold: w.maxAgeDays,
        // No report for a day: the check could not read the secret; that proves nothing rotated.
        treatMissingData: "breaching",
      };
      const stuck: AlarmSpec = {
        severity: "warning",
        page: "rotation-stuck",
        summary: `${w.key} has a version staged AWSPENDING for over ${cfg.stuckAfterHours}h: every later rotation is refused until it is cleared.`,
        metric: metric("PendingStuck"),
        ...daily,
        threshold: 0,
        treatMissingData: "notBreaching",
      };
      this.alarmArns.push(
        metricAlarm(`${name}-${w.key}-overdue`, overdue, this.args.routing, { parent: this }).arn,
        metricAlarm(`${name}-${w.key}-stuck`, stuck, this.args.routing, { parent: this }).arn,
      );
    }
  }
}
