// Why each mutant that survives `npm run mutate` may stay: equivalent to the original, or harmless, in one line each.
// A survivor matches an entry when file and mutator are equal and the entry's texts occur in its original and mutant.

export interface SurvivorReason {
  readonly file: string;
  readonly mutator: string;
  /** Text that occurs in the replaced source (whitespace squashed). */
  readonly original: string;
  /** Text that occurs in the mutant's replacement (whitespace squashed); "" matches any. */
  readonly replacement: string;
  /**
   * equivalent: no program input can tell the mutant from the original (it is set aside from the score, as Stryker's
   * own "disable" comments would); harmless: it could be told apart, but not in a way a user relies on (it counts).
   */
  readonly kind: "equivalent" | "harmless";
  readonly reason: string;
}

const RETENTION = "lambdas/backup/retention.ts";
const BUCKET_KEY =
  "a bucket key is only compared for equality: the mutant still gives every day/week/month one distinct number (day < 100, month < 13, week < 54; the year divided by 100 collides only a century apart), so the buckets are the same";

export const SURVIVOR_REASONS: readonly SurvivorReason[] = [
  // retention.ts: the bucket keys ymd, yw, ym.
  ...[
    ["t.getUTCFullYear() * 10_000 + (t.getUTCMonth() + 1) * 100 + t.getUTCDate()", "- t.getUTCDate()"],
    ["t.getUTCFullYear() * 10_000 + (t.getUTCMonth() + 1) * 100", "10_000 - (t.getUTCMonth() + 1) * 100"],
    ["t.getUTCFullYear() * 10_000", "t.getUTCFullYear() / 10_000"],
    ["(t.getUTCMonth() + 1) * 100", "(t.getUTCMonth() + 1) / 100"],
    ["t.getUTCMonth() + 1", "t.getUTCMonth() - 1"],
    ["year * 100 + week", "year * 100 - week"],
    ["year * 100", "year / 100"],
    ["t.getUTCFullYear() * 100 + (t.getUTCMonth() + 1)", "t.getUTCFullYear() * 100 - (t.getUTCMonth() + 1)"],
    ["t.getUTCFullYear() * 100", "t.getUTCFullYear() / 100"],
  ].map(
    ([original, replacement]): SurvivorReason => ({
      file: RETENTION,
      mutator: "ArithmeticOperator",
      original: original!,
      replacement: replacement!,
      kind: "equivalent",
      reason: BUCKET_KEY,
    }),
  ),
  // retention.ts: the id tie-break in the sort.
  ...[
    ["EqualityOperator", "a.id < b.id", "a.id <= b.id"],
    ["ConditionalExpression", "a.id > b.id", "true"],
    ["ConditionalExpression", "a.id > b.id", "false"],
    ["EqualityOperator", "a.id > b.id", "a.id >= b.id"],
    ["EqualityOperator", "a.id > b.id", "a.id <= b.id"],
  ].map(
    ([mutator, original, replacement]): SurvivorReason => ({
      file: RETENTION,
      mutator: mutator!,
      original: original!,
      replacement: replacement!,
      kind: "equivalent",
      reason:
        "snapshot ids are unique, so two ids are never equal, and V8's sort only asks whether the comparator is below 0: 1 and 0 for 'a after b' sort alike (the tie-break test pins the order)",
    }),
  ),
  ...[
    ["ConditionalExpression", "true"],
    ["EqualityOperator", "lastCount >= 0"],
  ].map(
    ([mutator, replacement]): SurvivorReason => ({
      file: RETENTION,
      mutator: mutator!,
      original: "lastCount > 0",
      replacement: replacement!,
      kind: "equivalent",
      reason:
        "inside `if (lastCount !== 0)` the count is never 0, and a negative one (-1, keep all) stays non-zero when decremented, so every snapshot is still kept",
    }),
  ),
  // expiry.ts
  {
    file: "lambdas/logical-backup/expiry.ts",
    mutator: "ConditionalExpression",
    original: "days === undefined",
    replacement: "false",
    kind: "equivalent",
    reason: "`!(days >= 1)` is already true for undefined, so this half of the `||` decides nothing",
  },
  {
    file: "lambdas/logical-backup/expiry.ts",
    mutator: "EqualityOperator",
    original: "t.Key === key",
    replacement: "t.Key !== key",
    kind: "harmless",
    reason:
      "only tags valued `true` other than the one asked for would match, and every way that reads errs towards keeping the dump (pinned, or taken as already marked); no tag of that kind is written by this stack",
  },
  {
    file: "lambdas/logical-backup/expiry.ts",
    mutator: "ArrayDeclaration",
    original: "[]",
    replacement: '["Stryker was here"]',
    kind: "harmless",
    reason:
      "S3's GetObjectTagging always returns a TagSet (empty when the object is untagged): the fallback never runs",
  },
];
