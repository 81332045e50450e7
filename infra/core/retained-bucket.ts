// An S3 bucket for backups and archives: SSE-KMS, private, versioned, TLS-only, validated lifecycle, optional
// Object Lock, and never force-destroyed.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { physicalName } from "./naming";
import { retainedBucketPolicy } from "./policies/bucket-policy";
import type { Statement } from "./policies/document";
import { type LifecycleRule, lifecycleConfigurationRules, validateLifecycle } from "./policies/lifecycle";

export interface ObjectLockArgs {
  /** COMPLIANCE: nobody, root included, can delete before retention ends. GOVERNANCE: special permission can. */
  readonly mode: "COMPLIANCE" | "GOVERNANCE";
  readonly days?: number;
  readonly years?: number;
}

export interface RetainedBucketArgs {
  readonly namePrefix: string;
  /** What it holds, part of the name: backups, logs. */
  readonly purpose: string;
  readonly kmsKeyArn: pulumi.Input<string>;
  readonly lifecycleRules: readonly LifecycleRule[];
  /** Object Lock must be enabled when the bucket is created; it cannot be added later. */
  readonly objectLock?: ObjectLockArgs;
  /** `protect` the bucket from `pulumi destroy` (prod). */
  readonly protect: boolean;
  /** Extra statements for services that write into the bucket (CloudWatch Logs exports), given the bucket ARN. */
  readonly servicePolicy?: (bucketArn: string) => pulumi.Input<Statement[]>;
  readonly tags?: Record<string, string>;
  /** Another region than the provider's (a DR copy). @default the provider's region */
  readonly region?: string;
}

export function validateBucketArgs(args: RetainedBucketArgs): void {
  const where = `RetainedBucket ${args.namePrefix}-${args.purpose}`;
  validateLifecycle(args.lifecycleRules, where);
  const lock = args.objectLock;
  if (lock && (lock.days === undefined) === (lock.years === undefined)) {
    throw new Error(`${where}: objectLock needs exactly one of days or years`);
  }
  if (lock && ((lock.days ?? 1) < 1 || (lock.years ?? 1) < 1))
    throw new Error(`${where}: objectLock retention must be >= 1`);
}

export class RetainedBucket extends pulumi.ComponentResource {
  readonly bucketName: pulumi.Output<string>;
  readonly bucketArn: pulumi.Output<string>;
  /** Replication needs versioning on both buckets first. */
  readonly versioning: aws.s3.BucketVersioning;

  constructor(name: string, args: RetainedBucketArgs, opts?: pulumi.ComponentResourceOptions) {
    validateBucketArgs(args);
    super("maintenance:storage:RetainedBucket", name, {}, opts);
    const parent = { parent: this };
    const region = args.region ? { region: args.region } : {};
    // S3 names are global: a random suffix keeps them unique; `keepers` never change, so the name is stable.
    const suffix = new random.RandomId(`${name}-suffix`, { byteLength: 4 }, parent);
    const bucket = new aws.s3.Bucket(
      `${name}-bucket`,
      {
        bucket: suffix.hex.apply((hex) => physicalName("s3Bucket", args.namePrefix, args.purpose, hex)),
        objectLockEnabled: args.objectLock !== undefined,
        // Backups and archives outlive the stack: deleting the stack must never delete them.
        forceDestroy: false,
        tags: { ...args.tags, purpose: args.purpose },
        ...region,
      },
      { parent: this, protect: args.protect },
    );
    new aws.s3.BucketOwnershipControls(
      `${name}-ownership`,
      { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" }, ...region },
      parent,
    );
    new aws.s3.BucketPublicAccessBlock(
      `${name}-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
        ...region,
      },
      parent,
    );
    const versioning = new aws.s3.BucketVersioning(
      `${name}-versioning`,
      { bucket: bucket.id, versioningConfiguration: { status: "Enabled" }, ...region },
      parent,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-encryption`,
      {
        bucket: bucket.id,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: args.kmsKeyArn },
            bucketKeyEnabled: true,
          },
        ],
        ...region,
      },
      parent,
    );
    new aws.s3.BucketPolicy(
      `${name}-policy`,
      {
        bucket: bucket.id,
        policy: pulumi.all([bucket.arn, args.kmsKeyArn]).apply(([arn, key]) =>
          pulumi.output(args.servicePolicy?.(arn) ?? []).apply((extra) => {
            const base = retainedBucketPolicy(arn, key);
            return JSON.stringify({ ...base, Statement: [...base.Statement, ...(extra as Statement[])] });
          }),
        ),
        ...region,
      },
      parent,
    );
    if (args.lifecycleRules.length) {
      new aws.s3.BucketLifecycleConfiguration(
        `${name}-lifecycle`,
        { bucket: bucket.id, rules: lifecycleConfigurationRules(args.lifecycleRules), ...region },
        // Lifecycle rules on a versioned bucket need versioning in place first.
        { parent: this, dependsOn: [versioning] },
      );
    }
    if (args.objectLock) {
      const { mode, days, years } = args.objectLock;
      new aws.s3.BucketObjectLockConfiguration(
        `${name}-object-lock`,
        {
          bucket: bucket.id,
          rule: { defaultRetention: { mode, ...(days !== undefined ? { days } : { years }) } },
          ...region,
        },
        { parent: this, dependsOn: [versioning] },
      );
    }
    this.bucketName = bucket.bucket;
    this.bucketArn = bucket.arn;
    this.versioning = versioning;
    this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
  }
}
