// Customer-managed KMS keys per purpose (backups, logs, messaging), rotated, aliased, with explicit key policies.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { checkRange, KMS_DELETION_WINDOW_DAYS, KMS_ROTATION_DAYS } from "./aws-limits";
import { physicalName } from "./naming";
import { type AccountContext, KEY_PURPOSES, type KeyPurpose, keyPolicy } from "./policies/key-policy";

export interface EncryptionKeysArgs {
  /** Prefix of aliases, e.g. the app name. */
  readonly namePrefix: string;
  /** @default all three: backups, logs, messaging */
  readonly purposes?: readonly KeyPurpose[];
  /** Automatic rotation period, 90-2560 days. */
  readonly rotationPeriodDays: number;
  /**
   * Waiting period before a scheduled deletion takes effect, 7-30 days.
   * @default 30 (the longest time to notice and cancel a mistaken deletion)
   */
  readonly deletionWindowDays?: number;
  /** A second region: a backups key is created there for DR snapshot copies. */
  readonly drRegion?: string;
  /** Other regions that need a messaging key (paging topics for us-east-1-only metrics such as Route 53's). */
  readonly extraMessagingRegions?: readonly string[];
  /** Protect keys from `pulumi destroy` (prod). @default false */
  readonly protect?: boolean;
  readonly tags?: Record<string, string>;
}

/** Validates the arguments before anything is declared, naming the bad value and the allowed range. */
export function validateKeyArgs(args: EncryptionKeysArgs): void {
  const rotation = checkRange(args.rotationPeriodDays, KMS_ROTATION_DAYS, "days");
  if (rotation) throw new Error(`EncryptionKeys ${args.namePrefix}: rotationPeriodDays ${rotation}`);
  const deletion = checkRange(args.deletionWindowDays ?? 30, KMS_DELETION_WINDOW_DAYS, "days");
  if (deletion) throw new Error(`EncryptionKeys ${args.namePrefix}: deletionWindowDays ${deletion}`);
}

export class EncryptionKeys extends pulumi.ComponentResource {
  /** Key ARN per purpose. */
  readonly arns: Partial<Record<KeyPurpose, pulumi.Output<string>>> = {};
  /** The DR region's backups key, when a DR region is set. */
  readonly drBackupsKeyArn?: pulumi.Output<string>;
  /** Messaging keys in extra regions, by region. */
  readonly regionalMessagingArns: Record<string, pulumi.Output<string>> = {};

  constructor(name: string, args: EncryptionKeysArgs, opts?: pulumi.ComponentResourceOptions) {
    validateKeyArgs(args);
    super("maintenance:keys:EncryptionKeys", name, {}, opts);
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);
    const region = aws.getRegionOutput({}, parent);

    /** `dr` marks a key in a region other than the stack's (DR copies, or us-east-1 paging). */
    const makeKey = (purpose: KeyPurpose, suffix: string, keyRegion: pulumi.Input<string>, dr: boolean) => {
      const ctx = pulumi
        .all([partition.partition, identity.accountId, keyRegion])
        .apply(([p, a, r]): AccountContext => ({ partition: p, account: a, region: r }));
      const key = new aws.kms.Key(
        `${name}-${suffix}`,
        {
          description: `${args.namePrefix} ${purpose}${dr ? ` (${suffix})` : ""}: managed by maintenance-stack`,
          enableKeyRotation: true,
          rotationPeriodInDays: args.rotationPeriodDays,
          deletionWindowInDays: args.deletionWindowDays ?? 30,
          keyUsage: "ENCRYPT_DECRYPT",
          customerMasterKeySpec: "SYMMETRIC_DEFAULT",
          policy: ctx.apply((c) => JSON.stringify(keyPolicy(purpose, c))),
          ...(dr ? { region: keyRegion } : {}),
          tags: { ...args.tags, purpose },
        },
        { parent: this, protect: args.protect ?? false },
      );
      new aws.kms.Alias(
        `${name}-${suffix}-alias`,
        {
          name: physicalName("kmsAlias", `alias/${args.namePrefix}`, suffix === purpose ? purpose : suffix),
          targetKeyId: key.keyId,
          ...(dr ? { region: keyRegion } : {}),
        },
        parent,
      );
      return key;
    };

    for (const purpose of args.purposes ?? KEY_PURPOSES) {
      this.arns[purpose] = makeKey(purpose, purpose, region.region, false).arn;
    }
    if (args.drRegion) this.drBackupsKeyArn = makeKey("backups", "backups-dr", args.drRegion, true).arn;
    for (const extra of args.extraMessagingRegions ?? []) {
      this.regionalMessagingArns[extra] = makeKey("messaging", `messaging-${extra}`, extra, true).arn;
    }
    this.registerOutputs({ arns: this.arns, drBackupsKeyArn: this.drBackupsKeyArn });
  }

  /** The key for a purpose this component was asked to create; a missing one is a wiring bug. */
  arn(purpose: KeyPurpose): pulumi.Output<string> {
    const arn = this.arns[purpose];
    if (!arn) throw new Error(`EncryptionKeys has no ${purpose} key; add it to purposes`);
    return arn;
  }
}
