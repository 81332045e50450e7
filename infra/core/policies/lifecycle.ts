// S3 lifecycle rules as typed values, validated against S3's transition and minimum-storage-duration rules.

export type StorageClass =
  | "STANDARD_IA"
  | "INTELLIGENT_TIERING"
  | "ONEZONE_IA"
  | "GLACIER_IR"
  | "GLACIER"
  | "DEEP_ARCHIVE";

export interface LifecycleRule {
  /** Rule id, unique in the bucket. */
  readonly id: string;
  /** Objects under this key prefix... */
  readonly prefix?: string;
  /** ...and/or carrying these tags (e.g. `tier=yearly`). */
  readonly tags?: Record<string, string>;
  readonly transitions?: readonly { readonly days: number; readonly storageClass: StorageClass }[];
  readonly expirationDays?: number;
  readonly noncurrentVersionExpirationDays?: number;
  /** @default 7 for rules without tags; S3 refuses it on a tag-filtered rule (an unfinished upload has no tags). */
  readonly abortIncompleteMultipartUploadDays?: number;
  /** Accept deleting or moving objects before their class's minimum storage duration (paying for the rest). */
  readonly acceptEarlyDeletion?: boolean;
}

/** Waterfall order S3 allows transitions in. https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html */
const ORDER: Record<StorageClass, number> = {
  STANDARD_IA: 1,
  INTELLIGENT_TIERING: 2,
  ONEZONE_IA: 3,
  GLACIER_IR: 4,
  GLACIER: 5,
  DEEP_ARCHIVE: 6,
};

/** Minimum storage duration billed per class. https://aws.amazon.com/s3/storage-classes/ */
export const MINIMUM_DAYS: Record<StorageClass, number> = {
  STANDARD_IA: 30,
  INTELLIGENT_TIERING: 0,
  ONEZONE_IA: 30,
  GLACIER_IR: 90,
  GLACIER: 90,
  DEEP_ARCHIVE: 180,
};

const IA: ReadonlySet<StorageClass> = new Set(["STANDARD_IA", "ONEZONE_IA"]);
const GLACIER: ReadonlySet<StorageClass> = new Set(["GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"]);

/** Every problem with one rule, each naming the rule and the value. */
export function lifecycleProblems(rule: LifecycleRule): string[] {
  const p: string[] = [];
  const at = `lifecycle rule "${rule.id}"`;
  const whole = (n: number | undefined, what: string) => {
    if (n !== undefined && (!Number.isInteger(n) || n < 1))
      p.push(`${at}: ${what} ${n} must be a whole number of days >= 1`);
  };
  whole(rule.expirationDays, "expirationDays");
  whole(rule.noncurrentVersionExpirationDays, "noncurrentVersionExpirationDays");
  whole(rule.abortIncompleteMultipartUploadDays, "abortIncompleteMultipartUploadDays");
  const tagged = Object.keys(rule.tags ?? {}).length > 0;
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html: "AbortIncompleteMultipartUpload
  // cannot be specified with Tags" (PutBucketLifecycleConfiguration answers 400).
  if (tagged && rule.abortIncompleteMultipartUploadDays !== undefined)
    p.push(`${at}: aborts incomplete uploads but filters on tags; S3 refuses that (use a prefix-only rule)`);
  if (
    !rule.transitions?.length &&
    rule.expirationDays === undefined &&
    rule.noncurrentVersionExpirationDays === undefined &&
    rule.abortIncompleteMultipartUploadDays === undefined
  ) {
    p.push(`${at}: has no transition, expiration or upload abort; a rule must do something`);
  }
  const transitions = rule.transitions ?? [];
  let previous: { days: number; storageClass: StorageClass } | undefined;
  for (const t of transitions) {
    if (!Number.isInteger(t.days) || t.days < 0)
      p.push(`${at}: transition to ${t.storageClass} at ${t.days} days must be a whole number >= 0`);
    // S3 requires objects to be 30 days old before Standard-IA or One Zone-IA.
    if (IA.has(t.storageClass) && t.days < 30)
      p.push(
        `${at}: transition to ${t.storageClass} at ${t.days} days; S3 allows it only at 30 days or later`,
      );
    if (previous) {
      if (t.days <= previous.days)
        p.push(
          `${at}: transitions must be in increasing days (${previous.storageClass} at ${previous.days}, then ${t.storageClass} at ${t.days})`,
        );
      if (ORDER[t.storageClass] <= ORDER[previous.storageClass]) {
        p.push(
          `${at}: cannot transition from ${previous.storageClass} to ${t.storageClass}; S3 only moves objects down the waterfall`,
        );
      }
      // Objects must stay 30 days in an IA class before a lifecycle rule moves them to a Glacier class.
      if (IA.has(previous.storageClass) && GLACIER.has(t.storageClass) && t.days - previous.days < 30) {
        p.push(
          `${at}: ${t.storageClass} at ${t.days} days is only ${t.days - previous.days} days after ${previous.storageClass}; S3 requires 30`,
        );
      }
      const kept = t.days - previous.days;
      if (!rule.acceptEarlyDeletion && kept < MINIMUM_DAYS[previous.storageClass]) {
        p.push(
          `${at}: leaves ${previous.storageClass} after ${kept} days, before its ${MINIMUM_DAYS[previous.storageClass]}-day minimum (set acceptEarlyDeletion to accept the charge)`,
        );
      }
    }
    previous = t;
  }
  if (rule.expirationDays !== undefined && previous) {
    if (rule.expirationDays <= previous.days) {
      p.push(
        `${at}: expires at ${rule.expirationDays} days, not after its last transition (${previous.storageClass} at ${previous.days})`,
      );
    } else if (
      !rule.acceptEarlyDeletion &&
      rule.expirationDays - previous.days < MINIMUM_DAYS[previous.storageClass]
    ) {
      p.push(
        `${at}: expires ${rule.expirationDays - previous.days} days after moving to ${previous.storageClass}, before its ${MINIMUM_DAYS[previous.storageClass]}-day minimum (set acceptEarlyDeletion to accept the charge)`,
      );
    }
  }
  return p;
}

export function validateLifecycle(rules: readonly LifecycleRule[], where: string): void {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const r of rules) {
    if (ids.has(r.id)) problems.push(`lifecycle rule id "${r.id}" is used twice`);
    ids.add(r.id);
    problems.push(...lifecycleProblems(r));
  }
  if (problems.length) throw new Error(`${where}:\n  ${problems.join("\n  ")}`);
}

/** The exact `rules` input of aws.s3.BucketLifecycleConfiguration for validated rules. */
export function lifecycleConfigurationRules(rules: readonly LifecycleRule[]) {
  return rules.map((r) => {
    const tagList = Object.entries(r.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    const filter =
      tagList.length === 0
        ? { prefix: r.prefix ?? "" }
        : tagList.length === 1 && r.prefix === undefined
          ? { tag: { key: tagList[0]![0], value: tagList[0]![1] } }
          : {
              and: {
                ...(r.prefix !== undefined ? { prefix: r.prefix } : {}),
                tags: Object.fromEntries(tagList),
              },
            };
    return {
      id: r.id,
      status: "Enabled",
      filter,
      ...(r.transitions?.length
        ? { transitions: r.transitions.map((t) => ({ days: t.days, storageClass: t.storageClass })) }
        : {}),
      ...(r.expirationDays !== undefined ? { expiration: { days: r.expirationDays } } : {}),
      ...(r.noncurrentVersionExpirationDays !== undefined
        ? { noncurrentVersionExpiration: { noncurrentDays: r.noncurrentVersionExpirationDays } }
        : {}),
      ...(Object.keys(r.tags ?? {}).length === 0
        ? {
            abortIncompleteMultipartUpload: {
              daysAfterInitiation: r.abortIncompleteMultipartUploadDays ?? 7,
            },
          }
        : {}),
    };
  });
}
