// S3 Replication of the dumps bucket and the vault into retained buckets in the DR region (the vault's copy under the
// same Object Lock), the replication role, and alarms on failed and late replication. Pure builders for the rules,
// the DR lifecycle and the role's statements, so tests assert them exactly.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmRouting, anyInFiveMinutes, type AlarmSpec, metricAlarm } from "../core/alarm";
import { physicalName } from "../core/naming";
import { type Statement, policy } from "../core/policies/document";
import { trustPolicy } from "../core/policies/job-role";
import type { LifecycleRule } from "../core/policies/lifecycle";
import { type ObjectLockArgs, RetainedBucket } from "../core/retained-bucket";
import { RTC_MINUTES } from "../config/backups";
import { EXPIRE_TAG } from "../../lambdas/logical-backup/config";
import type { DumpDatabase } from "./logical-backups";

/** Storage classes a replica may land in (a replication rule's destination storage class). */
export type ReplicaStorageClass = "STANDARD" | "STANDARD_IA" | "GLACIER_IR";

/** One replication rule: the source prefix it copies and the class the replicas are stored in. */
export interface ReplicationRuleSpec {
  /** Unique in its bucket; the `RuleId` dimension of the rule's replication metrics. */
  readonly id: string;
  /** "" for the whole bucket. */
  readonly prefix: string;
  readonly storageClass: ReplicaStorageClass;
  /**
   * New dumps land under it (some database's tier is not locked, or it is the vault). A tier locked everywhere keeps
   * its dumps-bucket rule only for dumps written there before it was locked (their tag changes still replicate), and
   * gets no alarms: with nothing landing there they could not fire.
   */
  readonly receivesDumps: boolean;
}

/** Days a tier's dumps are kept at least (the shortest retention of the databases that have the tier). */
function shortestRetention(databases: readonly DumpDatabase[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of databases)
    for (const [tier, t] of Object.entries(d.dump.tiers))
      if (t) out.set(tier, Math.min(out.get(tier) ?? Number.POSITIVE_INFINITY, t.retention));
  return out;
}

/**
 * A replica is never deleted before its tier's retention has passed (expiry waits for the source's `expire` mark),
 * so it can start in a cheaper class whose minimum storage duration that retention covers: Standard-IA bills 30 days
 * at least, Glacier Instant Retrieval 90 (and both stay readable at once for a restore).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-class-intro.html
 */
export function replicaStorageClass(retentionDays: number): ReplicaStorageClass {
  return retentionDays >= 90 ? "GLACIER_IR" : retentionDays >= 30 ? "STANDARD_IA" : "STANDARD";
}

/**
 * The dumps bucket replicates one rule per tier prefix (its `.incoming/` staging objects stay behind); the vault holds
 * only dumps, so one rule takes all of it. Every tier has a rule in the dumps bucket even when it is locked now, like
 * the lifecycle rules: dumps it wrote there before it was locked still get their `expire` mark replicated.
 */
export function replicationRuleSpecs(
  databases: readonly DumpDatabase[],
  lock: ObjectLockArgs | undefined,
): { bucket: ReplicationRuleSpec[]; vault: ReplicationRuleSpec[] } {
  const retention = shortestRetention(databases);
  const unlocked = new Set(
    databases.flatMap((d) =>
      Object.entries(d.dump.tiers)
        .filter(([, t]) => t && !t.objectLock)
        .map(([tier]) => tier),
    ),
  );
  const bucket = ["daily", "weekly", "monthly", "yearly"]
    .filter((tier) => retention.has(tier))
    .map((tier) => ({
      id: `dumps-${tier}`,
      prefix: `${tier}/`,
      storageClass: replicaStorageClass(retention.get(tier)!),
      receivesDumps: unlocked.has(tier),
    }));
  const vault = lock
    ? [{ id: "vault", prefix: "", storageClass: replicaStorageClass(lock.days ?? 365), receivesDumps: true }]
    : [];
  return { bucket, vault };
}

/**
 * A bucket's replication rules as S3 takes them. Delete markers are not replicated (a deleted or expired source dump
 * never deletes its DR copy), SSE-KMS objects are selected and re-encrypted with the DR key, and replication metrics
 * are on (CloudWatch has OperationsFailedReplication and ReplicationLatency only then). With a latency bound,
 * Replication Time Control is on, whose time and event threshold are both 15 minutes.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html ;
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-time-control.html ;
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-marker-replication.html
 */
export function replicationConfigRules(
  specs: readonly ReplicationRuleSpec[],
  destinationArn: string,
  drKmsKeyArn: string,
  maxLatencyMinutes: number | undefined,
) {
  const rtc = maxLatencyMinutes !== undefined;
  return specs.map((r, i) => ({
    id: r.id,
    // Rules of one bucket to one destination need distinct priorities once they carry a Filter.
    priority: i + 1,
    status: "Enabled",
    filter: { prefix: r.prefix },
    deleteMarkerReplication: { status: "Disabled" },
    // Tags travel one way, source to replica (S3's default, which the DR expiry relies on); replica modification
    // sync stays off, so a tag set on a DR copy never reaches its source.
    sourceSelectionCriteria: {
      sseKmsEncryptedObjects: { status: "Enabled" },
      replicaModifications: { status: "Disabled" },
    },
    destination: {
      bucket: destinationArn,
      storageClass: r.storageClass,
      encryptionConfiguration: { replicaKmsKeyId: drKmsKeyArn },
      metrics: rtc ? { status: "Enabled", eventThreshold: { minutes: RTC_MINUTES } } : { status: "Enabled" },
      ...(rtc ? { replicationTime: { status: "Enabled", time: { minutes: RTC_MINUTES } } } : {}),
    },
  }));
}

/**
 * The DR buckets' lifecycle: a replica expires only on the `expire=true` tag, which reaches it by replication from the
 * source ("By default, Amazon S3 replicates metadata from the source objects to the replicas", tags included:
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-for-metadata-changes.html), with the source's own
 * rule shape, so a replica goes on the same decision as its source and never before it (lifecycle deletions are not
 * replicated: https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-what-is-isnot-replicated.html).
 * No age-only rule: a dump the source keeps past its retention (the floor, a stale newest dump, keep=true) is kept.
 */
export function drLifecycleRules(databases: readonly DumpDatabase[], vault: boolean, noncurrentDays: number) {
  const rules: LifecycleRule[] = [];
  for (const d of databases)
    for (const tier of Object.keys(d.dump.tiers))
      rules.push({
        id: `${d.name}-${tier}`,
        prefix: `${tier}/${d.name}/`,
        tags: { tier, [EXPIRE_TAG]: "true" },
        expirationDays: 1,
        // A vault replica carries its source's retain-until date, so its version goes the day after that.
        noncurrentVersionExpirationDays: vault ? 1 : noncurrentDays,
      });
  return rules;
}

/** A replicated bucket: its ARN, its rules and whether it is under Object Lock; and where its replicas go. */
export interface ReplicatedPair {
  readonly sourceArn: string;
  readonly destinationArn: string;
  readonly rules: readonly ReplicationRuleSpec[];
  readonly locked: boolean;
}

/**
 * The replication role: read only the replicated prefixes of the sources (versions, their ACLs, tags and, in the
 * vault, retention and legal hold), write replicas and their tags only into the destinations, decrypt with the source
 * key and encrypt with the DR key only through S3 for those buckets.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html ;
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-managing.html#object-lock-managing-replication
 */
export function replicationRoleStatements(a: {
  readonly pairs: readonly ReplicatedPair[];
  readonly region: string;
  readonly drRegion: string;
  readonly kmsKeyArn: string;
  readonly drKmsKeyArn: string;
}): Statement[] {
  const objects = (arn: string, rules: readonly ReplicationRuleSpec[]) =>
    rules.map((r) => `${arn}/${r.prefix}*`);
  const locked = a.pairs.filter((p) => p.locked);
  return [
    {
      Sid: "ReadReplicationConfiguration",
      Effect: "Allow",
      Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
      Resource: a.pairs.map((p) => p.sourceArn),
    },
    {
      Sid: "ReadSourceVersions",
      Effect: "Allow",
      Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
      Resource: a.pairs.flatMap((p) => objects(p.sourceArn, p.rules)),
    },
    ...(locked.length
      ? [
          {
            Sid: "ReadSourceLocks",
            Effect: "Allow" as const,
            Action: ["s3:GetObjectRetention", "s3:GetObjectLegalHold"],
            Resource: locked.flatMap((p) => objects(p.sourceArn, p.rules)),
          },
        ]
      : []),
    {
      // No ReplicateDelete: delete markers are not replicated.
      Sid: "WriteReplicas",
      Effect: "Allow",
      Action: ["s3:ReplicateObject", "s3:ReplicateTags"],
      Resource: a.pairs.flatMap((p) => objects(p.destinationArn, p.rules)),
    },
    {
      Sid: "DecryptSources",
      Effect: "Allow",
      Action: "kms:Decrypt",
      Resource: a.kmsKeyArn,
      // Only through S3 in the source's region. No kms:EncryptionContext:aws:s3:arn condition: the role reads nothing
      // but the replicated prefixes, so the key decrypts nothing else for it, and the contracts' simulator cannot
      // evaluate context keys with ':' in their name (a condition it ignores would be proven by nothing).
      Condition: { StringEquals: { "kms:ViaService": `s3.${a.region}.amazonaws.com` } },
    },
    {
      Sid: "EncryptReplicas",
      Effect: "Allow",
      Action: ["kms:Encrypt", "kms:GenerateDataKey"],
      Resource: a.drKmsKeyArn,
      Condition: { StringEquals: { "kms:ViaService": `s3.${a.drRegion}.amazonaws.com` } },
    },
  ];
}

/**
 * Per rule: any failed replication in five minutes (a failed object stays failed: S3 does not retry it), and, with a
 * bound, replication latency above it. Both S3 metrics are published in the source's region under SourceBucket,
 * DestinationBucket and RuleId. https://docs.aws.amazon.com/AmazonS3/latest/userguide/repl-metrics.html
 */
export function replicationAlarmSpecs(
  source: pulumi.Input<string>,
  destination: pulumi.Input<string>,
  rule: ReplicationRuleSpec,
  maxLatencyMinutes: number | undefined,
): { failed: AlarmSpec; latency?: AlarmSpec } {
  const metric = (metricName: string, stat: string) => ({
    namespace: "AWS/S3",
    metricName,
    dimensions: { SourceBucket: source, DestinationBucket: destination, RuleId: rule.id },
    stat,
  });
  const failed = anyInFiveMinutes(
    "warning",
    "dump-replication-failed",
    `Dumps under rule ${rule.id} failed to replicate to the DR region; those DR copies are missing (the source dumps are intact).`,
    metric("OperationsFailedReplication", "Sum"),
  );
  if (maxLatencyMinutes === undefined) return { failed };
  return {
    failed,
    latency: {
      severity: "warning",
      page: "dump-replication-latency",
      summary: `Dumps under rule ${rule.id} reach the DR region more than ${maxLatencyMinutes} minutes late.`,
      metric: metric("ReplicationLatency", "Maximum"),
      periodSeconds: 300,
      evaluationPeriods: 1,
      threshold: maxLatencyMinutes * 60,
      comparisonOperator: "GreaterThanThreshold",
      // Nothing pending publishes nothing: a quiet hour between dumps is no latency.
      treatMissingData: "notBreaching",
    },
  };
}

export interface DumpReplicationArgs {
  readonly namePrefix: string;
  readonly region: string;
  readonly drRegion: string;
  readonly databases: readonly DumpDatabase[];
  readonly bucket: RetainedBucket;
  readonly vault: RetainedBucket | undefined;
  /** The vault's Object Lock: the DR vault gets the same mode and retention. */
  readonly lock: ObjectLockArgs | undefined;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly drKmsKeyArn: pulumi.Input<string>;
  /** Turns on Replication Time Control and the latency alarms. @default no bound */
  readonly maxLatencyMinutes?: number;
  readonly noncurrentDays: number;
  readonly protect: boolean;
  readonly routing: AlarmRouting;
  readonly tags: Record<string, string>;
}

export class DumpReplication extends pulumi.ComponentResource {
  /** The DR region the replicas are in. */
  readonly drRegion: string;
  /** The DR copy of the dumps bucket. */
  readonly drBucketName: pulumi.Output<string>;
  /** The DR copy of the vault (Object Lock, same mode and retention), when the stack has a vault. */
  readonly drVaultName?: pulumi.Output<string>;
  /** The DR buckets' ARNs (the dumps bucket's copy, then the vault's). */
  readonly drArns: pulumi.Output<string>[];

  constructor(name: string, args: DumpReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    const specs = replicationRuleSpecs(args.databases, args.lock);
    if ((args.vault !== undefined) !== (args.lock !== undefined))
      throw new Error(`DumpReplication ${name}: a vault needs its Object Lock (and a lock its vault)`);
    super("maintenance:backups:DumpReplication", name, {}, opts);
    const parent = { parent: this };
    this.drRegion = args.drRegion;
    const drBucket = new RetainedBucket(
      `${name}-bucket`,
      {
        namePrefix: args.namePrefix,
        purpose: "dumps-dr",
        kmsKeyArn: args.drKmsKeyArn,
        lifecycleRules: drLifecycleRules(args.databases, false, args.noncurrentDays),
        protect: args.protect,
        tags: args.tags,
        region: args.drRegion,
      },
      parent,
    );
    // A locked tier stays locked in both regions: S3 replicates only into a bucket with Object Lock
    // (DstBucketObjectLockConfigMissing otherwise), and each replica keeps its source's retain-until date.
    const drVault = args.lock
      ? new RetainedBucket(
          `${name}-vault`,
          {
            namePrefix: args.namePrefix,
            purpose: "dump-vault-dr",
            kmsKeyArn: args.drKmsKeyArn,
            lifecycleRules: drLifecycleRules(args.databases, true, args.noncurrentDays),
            objectLock: args.lock,
            protect: args.protect,
            tags: args.tags,
            region: args.drRegion,
          },
          parent,
        )
      : undefined;
    this.drBucketName = drBucket.bucketName;
    if (drVault) this.drVaultName = drVault.bucketName;
    this.drArns = [drBucket.bucketArn, ...(drVault ? [drVault.bucketArn] : [])];

    const pairs = [
      { source: args.bucket, destination: drBucket, rules: specs.bucket, locked: false },
      ...(args.vault && drVault
        ? [{ source: args.vault, destination: drVault, rules: specs.vault, locked: true }]
        : []),
    ];
    const role = this.role(name, args, pairs);
    for (const [i, p] of pairs.entries()) {
      const which = i === 0 ? "bucket" : "vault";
      new aws.s3.BucketReplicationConfig(
        `${name}-${which}-replication`,
        {
          bucket: p.source.bucketName,
          role: role.arn,
          rules: pulumi
            .all([p.destination.bucketArn, args.drKmsKeyArn])
            .apply(([dest, key]) => replicationConfigRules(p.rules, dest, key, args.maxLatencyMinutes)),
        },
        // S3 refuses a replication configuration until both buckets are versioned.
        { parent: this, dependsOn: [p.source.versioning, p.destination.versioning] },
      );
      for (const rule of p.rules.filter((r) => r.receivesDumps)) {
        const alarms = replicationAlarmSpecs(
          p.source.bucketName,
          p.destination.bucketName,
          rule,
          args.maxLatencyMinutes,
        );
        metricAlarm(`${name}-${rule.id}-failed`, alarms.failed, args.routing, parent);
        if (alarms.latency) metricAlarm(`${name}-${rule.id}-latency`, alarms.latency, args.routing, parent);
      }
    }
    this.registerOutputs({
      drRegion: this.drRegion,
      drBucketName: this.drBucketName,
      drVaultName: this.drVaultName,
    });
  }

  /** The role S3 replicates as, trusted only by S3 for this account, and its one inline policy. */
  private role(
    name: string,
    args: DumpReplicationArgs,
    pairs: {
      source: RetainedBucket;
      destination: RetainedBucket;
      rules: ReplicationRuleSpec[];
      locked: boolean;
    }[],
  ): aws.iam.Role {
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const role = new aws.iam.Role(
      `${name}-role`,
      {
        name: physicalName("iamRole", args.namePrefix, "dump-replication"),
        assumeRolePolicy: identity.accountId.apply((a) => JSON.stringify(trustPolicy("s3.amazonaws.com", a))),
        tags: args.tags,
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-policy`,
      {
        role: role.name,
        policy: pulumi
          .all([
            pulumi.all(pairs.map((p) => pulumi.all([p.source.bucketArn, p.destination.bucketArn]))),
            args.kmsKeyArn,
            args.drKmsKeyArn,
          ])
          .apply(([arns, key, drKey]) =>
            JSON.stringify(
              policy(
                replicationRoleStatements({
                  pairs: pairs.map((p, i) => ({
                    sourceArn: arns[i]![0],
                    destinationArn: arns[i]![1],
                    rules: p.rules,
                    locked: p.locked,
                  })),
                  region: args.region,
                  drRegion: args.drRegion,
                  kmsKeyArn: key,
                  drKmsKeyArn: drKey,
                }),
              ),
            ),
          ),
      },
      parent,
    );
    return role;
  }
}
