// Why each mutant that survives `npm run mutate` may stay: equivalent to the original, or harmless, in one line each.
// A survivor matches an entry when file and mutator are equal and the entry's texts occur in its original and mutant.

export interface SurvivorReason {
  readonly file: string;
  readonly mutator: string;
  /** Text that occurs in the replaced source (whitespace squashed). */
  readonly original: string;
  /** Text that occurs in the mutant's replacement (whitespace squashed); "" matches any. */
  readonly replacement: string;
  /** Text on the mutant's source line, when the original alone (a lone `false`) would match elsewhere too. */
  readonly near?: string;
  /**
   * equivalent: no program input can tell the mutant from the original (it is set aside from the score, as Stryker's
   * own "disable" comments would); harmless: it could be told apart, but not in a way a user relies on (it counts);
   * gap: a user could notice, and no test does yet (it counts; the reason says what a test would pin).
   */
  readonly kind: "equivalent" | "harmless" | "gap";
  readonly reason: string;
}

const RETENTION = "lambdas/backup/retention.ts";
const SCHEDULE = "infra/core/schedule.ts";
const BUCKET_KEY =
  "a bucket key is only compared for equality: the mutant still gives every day/week/month one distinct number (day < 100, month < 13, week < 54; the year divided by 100 collides only a century apart), so the buckets are the same";

/** Rows of [mutator, original, replacement] in one file that share one kind and one reason. */
const triple =
  (file: string, kind: SurvivorReason["kind"], reason: string) =>
  ([mutator, original, replacement]: readonly string[]): SurvivorReason => ({
    file,
    mutator: mutator!,
    original: original!,
    replacement: replacement!,
    kind,
    reason,
  });

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
    triple(
      RETENTION,
      "equivalent",
      "snapshot ids are unique, so two ids are never equal, and V8's sort only asks whether the comparator is below 0: 1 and 0 for 'a after b' sort alike (the tie-break test pins the order)",
    ),
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
  // job.ts
  {
    file: "lambdas/backup/job.ts",
    mutator: "EqualityOperator",
    original: "a.id < b.id",
    replacement: "a.id <= b.id",
    kind: "equivalent",
    reason:
      "RDS snapshot identifiers are unique in a region, so a listing never holds two equal ids and < and <= agree on every pair (the tie-break itself is pinned in three listing orders)",
  },
  {
    file: "lambdas/backup/job.ts",
    mutator: "LogicalOperator",
    original: "config.dr && deps.dr",
    replacement: "config.dr || deps.dr",
    kind: "equivalent",
    reason:
      "runBackup refuses to start unless config.dr and deps.dr are both set or both unset, so && and || agree",
  },
  {
    file: "lambdas/backup/job.ts",
    mutator: "ArrayDeclaration",
    original: "[]",
    replacement: '["Stryker was here"]',
    kind: "equivalent",
    reason:
      "a failed database's outcome only feeds the error that runBackup throws; its prune list is never read",
  },
  // snapshots.ts
  {
    file: "lambdas/backup/snapshots.ts",
    mutator: "MethodExpression",
    original: '.replace(/-$/, "")',
    replacement: "",
    kind: "equivalent",
    reason: "the identifier always ends with the slot's digits, so a trailing hyphen never occurs",
  },
  {
    file: "lambdas/backup/snapshots.ts",
    mutator: "StringLiteral",
    original: '""',
    replacement: '"Stryker was here!"',
    kind: "harmless",
    reason:
      "a fallback for a field RDS always returns (identifier, ARN, tag key and value); in the trailing-hyphen replace, never reached (the identifier ends in digits)",
  },
  {
    file: "lambdas/backup/snapshots.ts",
    mutator: "ArrayDeclaration",
    original: "[]",
    replacement: '["Stryker was here"]',
    kind: "harmless",
    reason:
      "a fallback for a list RDS always returns (a describe page's snapshots, a snapshot's TagList), empty when none",
  },
  {
    file: "lambdas/backup/snapshots.ts",
    mutator: "StringLiteral",
    original: '"unknown"',
    replacement: '""',
    kind: "equivalent",
    reason: "a missing status reads as not 'available' either way: the snapshot is kept and not copied",
  },
  {
    file: "lambdas/backup/snapshots.ts",
    mutator: "BooleanLiteral",
    original: "false",
    replacement: "true",
    kind: "harmless",
    reason:
      "the fallback for Encrypted/StorageEncrypted, which RDS returns for every snapshot; read only by backup-verify",
  },
  // cert-check/check.ts
  ...[
    ['"+"', "the separator of a multi-valued RDN in the subject shown in results; display only"],
    [
      '", "',
      "the separator between RDNs in the subject shown in results (the test certificates have one); display only",
    ],
    ["no TLS handshake within", "the timeout's message; the status (timeout) and what pages are tested"],
    [
      '"no certificate presented"',
      "unreachable: Node's TLS client completes no handshake without a server certificate",
    ],
    [
      '"handshake-failed"',
      "unreachable: Node's TLS client completes no handshake without a server certificate",
    ],
    ['"not trusted"', "Node always gives an authorizationError when it does not authorize a peer"],
  ].map(
    ([original, reason]): SurvivorReason => ({
      file: "lambdas/cert-check/check.ts",
      mutator: "StringLiteral",
      original: original!,
      replacement: "",
      kind: "harmless",
      reason: reason!,
    }),
  ),
  ...["ConditionalExpression", "LogicalOperator"].map(
    (mutator): SurvivorReason => ({
      file: "lambdas/cert-check/check.ts",
      mutator,
      original: "servername && !isIP(servername)",
      replacement: "",
      kind: "harmless",
      reason:
        "would send an IP address as SNI, which RFC 6066 forbids and Node drops with a warning: the same handshake",
    }),
  ),
  {
    file: "lambdas/cert-check/check.ts",
    mutator: "ConditionalExpression",
    original: "!leaf",
    replacement: "false",
    kind: "harmless",
    reason:
      "unreachable (no handshake completes without a certificate); were it reached, the crash is caught and reported as handshake-failed all the same",
  },
  {
    file: "lambdas/cert-check/check.ts",
    mutator: "ObjectLiteral",
    original: 'status: "handshake-failed"',
    replacement: "{}",
    kind: "harmless",
    reason: "unreachable: Node's TLS client completes no handshake without a server certificate",
  },
  {
    file: "lambdas/cert-check/check.ts",
    mutator: "EqualityOperator",
    original: "Date.parse(c.valid_to) < Date.parse(a.valid_to)",
    replacement: "<=",
    kind: "harmless",
    reason:
      "picks another certificate only among those expiring the same second: the same date and days; only the error's 'certificate' or 'a chain certificate' could differ",
  },
  // log-archive/exporter.ts
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "MethodExpression",
    original: ".slice(0, 512)",
    replacement: "",
    kind: "harmless",
    reason: "CloudWatch log group names are at most 512 characters, so the task name never reaches the cut",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "Regex",
    original: "/\\/$/",
    replacement: "/\\//",
    kind: "gap",
    reason: "a prefix with an inner slash (a/b/) would lose it; the tests use one-level prefixes",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "Regex",
    original: "/^\\/+/",
    replacement: "/\\/+/",
    kind: "harmless",
    reason:
      "log group names start with their first slash run, so the first run is the leading one for every group the tests and stacks name",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "Regex",
    original: "/^\\/+/",
    replacement: "/^\\//",
    kind: "harmless",
    reason: "differs only for a group name with two leading slashes, which CloudWatch names do not have",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "StringLiteral",
    original: '"CorruptCheckpoint"',
    replacement: "",
    kind: "harmless",
    reason: "the error's name; the code tells it apart with instanceof",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "Regex",
    original: "/^\\d{4}-\\d{2}-\\d{2}$/",
    replacement: "",
    kind: "harmless",
    reason: "would accept a day with junk before or after it in a checkpoint only this job writes",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: 'typeof cp !== "object"',
    replacement: "false",
    kind: "equivalent",
    reason: "a JSON number or string then fails the logGroup check instead: still rejected",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: 'typeof cp.lastArchivedDay === "string"',
    replacement: "true",
    kind: "harmless",
    reason: "only a non-string whose text is a day (a one-element array) would pass; the job writes strings",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: 'typeof cp.archivedFrom === "string"',
    replacement: "true",
    kind: "harmless",
    reason: "only a non-string whose text is a day (a one-element array) would pass; the job writes strings",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: 'typeof pending?.day === "string"',
    replacement: "true",
    kind: "harmless",
    reason: "only a non-string whose text is a day would pass; the job writes strings",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "OptionalChaining",
    original: "pending?.day",
    replacement: "pending.day",
    kind: "harmless",
    reason:
      "only a hand-written pending: null reaches it, and then the run fails loudly instead of reporting the group",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "StringLiteral",
    original: '"application/json"',
    replacement: "",
    kind: "harmless",
    reason: "the checkpoint's content type, read by no one",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "taskId",
    replacement: "false",
    kind: "equivalent",
    reason: "without the id the task is found by its name, which the job also made unique per group and day",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "BlockStatement",
    original: "DescribeExportTasksCommand({ taskId })",
    replacement: "{}",
    kind: "equivalent",
    reason: "without the id the task is found by its name, which the job also made unique per group and day",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "OptionalChaining",
    original: "out.exportTasks?.",
    replacement: "",
    kind: "harmless",
    reason: "DescribeExportTasks always returns the list (empty when none)",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "OptionalChaining",
    original: "out.Contents?.length",
    replacement: "",
    kind: "harmless",
    reason: "ListObjectsV2 always returns KeyCount",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "LogicalOperator",
    original: "out.KeyCount ?? out.Contents?.length",
    replacement: "",
    kind: "harmless",
    reason: "ListObjectsV2 always returns KeyCount, and Contents with it when there are keys",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ArrayDeclaration",
    original: "[]",
    replacement: "",
    kind: "harmless",
    reason: "DescribeLogGroups always returns the list (empty when none)",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "!g.logGroupName",
    replacement: "false",
    kind: "harmless",
    reason: "DescribeLogGroups always names its groups",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "g.retentionInDays !== undefined",
    replacement: "true",
    kind: "equivalent",
    reason:
      "where it spreads the field, retentionInDays: undefined reads as never-expiring like a missing one; where it skips a group, `undefined <= n` is false anyway",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "found.retentionInDays !== undefined",
    replacement: "true",
    kind: "equivalent",
    reason: "undefined < retentionDays is false, so a never-expiring group is not raised either way",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "EqualityOperator",
    original: "a.name < b.name",
    replacement: "",
    kind: "equivalent",
    reason: "group names are unique (map keys), and V8's sort only asks whether the comparator is below 0",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "a.name > b.name",
    replacement: "",
    kind: "equivalent",
    reason: "group names are unique (map keys), and V8's sort only asks whether the comparator is below 0",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "EqualityOperator",
    original: "a.name > b.name",
    replacement: "",
    kind: "equivalent",
    reason: "group names are unique (map keys), and V8's sort only asks whether the comparator is below 0",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "g.createdDay !== undefined",
    replacement: "true",
    kind: "equivalent",
    reason: "undefined > kept is false, so the retention bound is taken either way",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "EqualityOperator",
    original: "g.createdDay > kept",
    replacement: "g.createdDay >= kept",
    kind: "equivalent",
    reason: "when equal, both sides are the same day",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "oldest !== undefined && oldest > floor",
    replacement: "true",
    kind: "gap",
    reason:
      "a group whose oldest logs lie beyond the backfill bound would start before it; a test with a finite-retention group older than the bound and no creation time would pin it",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "LogicalOperator",
    original: "oldest !== undefined && oldest > floor",
    replacement: "",
    kind: "gap",
    reason:
      "a never-expiring group without a creation time would start at undefined; no test finds such a group without a checkpoint",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "oldest !== undefined",
    replacement: "true",
    kind: "gap",
    reason:
      "a never-expiring group without a creation time would start at undefined; no test finds such a group without a checkpoint",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "oldest > floor",
    replacement: "true",
    kind: "gap",
    reason:
      "a group older than the bound would start before it; the tests' old groups have checkpoints or a creation time",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "EqualityOperator",
    original: "oldest > floor",
    replacement: "oldest >= floor",
    kind: "equivalent",
    reason: "when equal, both sides are the same day",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "oldest > cut",
    replacement: "false",
    kind: "gap",
    reason:
      "a group younger than the cut would wait for its archive instead of being cut at once; the young-group test's archive already reaches the cut",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "EqualityOperator",
    original: "oldest > cut",
    replacement: "oldest >= cut",
    kind: "gap",
    reason: "the day-of-the-cut edge, untested",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "EqualityOperator",
    original: "cp.lastArchivedDay < cut",
    replacement: "cp.lastArchivedDay <= cut",
    kind: "gap",
    reason: "the archive-reaches-the-cut-day edge, untested (it errs to keeping the longer retention)",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "!cp",
    replacement: "false",
    kind: "equivalent",
    reason:
      "every group found has a checkpoint in the map by then (read or corrupt-skipped groups are not cut)",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "LogicalOperator",
    original: "deps.safetyMarginMs ?? 60_000",
    replacement: "",
    kind: "harmless",
    reason: "the handler always passes the margin; the default is for callers that do not",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "LogicalOperator",
    original: "deps.pollIntervalMs ?? 15_000",
    replacement: "",
    kind: "harmless",
    reason: "the handler always passes the poll interval; the default is for callers that do not",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "c.archivedFrom !== undefined",
    replacement: "true",
    kind: "equivalent",
    reason: "writes archivedFrom: undefined, which JSON.stringify leaves out",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "EqualityOperator",
    original: "deps.remainingMs() < margin",
    replacement: "deps.remainingMs() <= margin",
    kind: "harmless",
    reason: "exactly the margin left: one way or the other the run stops a poll early or late, and resumes",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "OptionalChaining",
    original: "task.status?.",
    replacement: "",
    kind: "harmless",
    reason: "DescribeExportTasks always returns a status with each task",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "ConditionalExpression",
    original: "!(e instanceof CorruptCheckpoint)",
    replacement: "false",
    kind: "gap",
    reason:
      "a later group's unreadable (not corrupt) checkpoint would be reported as corrupt instead of failing the run",
  },
  {
    file: "lambdas/log-archive/exporter.ts",
    mutator: "EqualityOperator",
    original: "deps.remainingMs() < (deps.safetyMarginMs ?? 60_000) * 2",
    replacement: "",
    kind: "harmless",
    reason: "exactly twice the margin left: one backoff more or less, then the next run resumes",
  },
  // db-maintenance: backup-guard.ts, batches.ts
  {
    file: "lambdas/db-maintenance/backup-guard.ts",
    mutator: "OptionalChaining",
    original: "tags.TagSet?.some",
    replacement: "",
    kind: "harmless",
    reason: "S3's GetObjectTagging always returns a TagSet (empty when the object is untagged)",
  },
  {
    file: "lambdas/db-maintenance/backup-guard.ts",
    mutator: "ConditionalExpression",
    original: "t.Key === VERIFIED_TAG",
    replacement: "true",
    kind: "harmless",
    reason:
      "would take any tag valued ok as the verdict; a dump carries only tier (the dump job) and verified (the verifier, ok or failed, which the tests pin)",
  },
  {
    file: "lambdas/db-maintenance/batches.ts",
    mutator: "StringLiteral",
    original: '"RefusedError"',
    replacement: "",
    kind: "harmless",
    reason: "the error's name; run.ts tells a refusal apart with instanceof and reports its message",
  },
  ...["ConditionalExpression", "StringLiteral"].map(
    (mutator): SurvivorReason => ({
      file: "lambdas/db-maintenance/batches.ts",
      mutator,
      original: mutator === "StringLiteral" ? "not found" : "src.length === 0",
      replacement: "",
      kind: "harmless",
      reason:
        "unreachable: requireUniqueKey has already refused a table that does not exist (it has no index); only the archive table can be missing here",
    }),
  ),
  {
    file: "lambdas/db-maintenance/batches.ts",
    mutator: "ConditionalExpression",
    original: 't.kind === "purge"',
    replacement: "true",
    kind: "equivalent",
    reason: "only a purge task can carry expiresColumn (the task schema), so the kind test decides nothing",
  },
  ...["r.rows[0]?.total", "r.rows[0]?.due"].map(
    (original): SurvivorReason => ({
      file: "lambdas/db-maintenance/batches.ts",
      mutator: "OptionalChaining",
      original,
      replacement: "",
      kind: "equivalent",
      reason: "an aggregate without GROUP BY always returns exactly one row",
    }),
  ),
  {
    file: "lambdas/db-maintenance/batches.ts",
    mutator: "StringLiteral",
    original: '"ROLLBACK"',
    replacement: "",
    kind: "harmless",
    reason:
      "the failed batch's session is closed right after (run.ts), which rolls its transaction back all the same; the batch's own error is what is thrown",
  },
  ...["ConditionalExpression", "StringLiteral"].map(
    (mutator): SurvivorReason => ({
      file: "lambdas/db-maintenance/batches.ts",
      mutator,
      original: mutator === "StringLiteral" ? "archive rows but deleted" : "inserted !== deleted",
      replacement: "",
      kind: "harmless",
      reason:
        "defence in depth, unreachable: the batch's keys are locked FOR UPDATE in the same transaction, so the delete matches exactly the rows the insert copied",
    }),
  ),
  // infra/core/schedule.ts: the zone-offset cache, the day-level fast path and the longest-gap memo.
  ...[
    ["ConditionalExpression", "z.zone.isUniversal", "false"],
    ["ConditionalExpression", "z.zone.isUniversal", "true"],
    ["ConditionalExpression", "gap === undefined", "true"],
    ["ConditionalExpression", "longestGaps.size >= 10_000", "true"],
    ["ConditionalExpression", "longestGaps.size >= 10_000", "false"],
    ["EqualityOperator", "longestGaps.size >= 10_000", "longestGaps.size > 10_000"],
    ["EqualityOperator", "longestGaps.size >= 10_000", "longestGaps.size < 10_000"],
  ].map(
    triple(
      SCHEDULE,
      "equivalent",
      "a cache or its bound: with it or without it the zone's own offset function, or the same scan, gives the answer; only the time and memory differ",
    ),
  ),
  ...[
    [
      "ConditionalExpression",
      "before === offsetAt(zone, wall + 86_400_000) && before === offsetAt(zone, wall)",
      "false",
    ],
    [
      "BlockStatement",
      "const instant = wall - before * 60_000; return offsetAt(zone, instant) === before",
      "{}",
    ],
    [
      "ConditionalExpression",
      "before === offsetAt(timezone, day) && before === offsetAt(timezone, day + 86_400_000) && before === offsetAt(timezone, day + 2 * 86_400_000)",
      "false",
    ],
  ].map(
    triple(
      SCHEDULE,
      "equivalent",
      "a fast path switched off: every run then goes through instantsOfWall, which tries each candidate offset and gives the same first instant, only slower",
    ),
  ),
  ...[
    ["ConditionalExpression", "before === offsetAt(zone, wall)", "true"],
    ["EqualityOperator", "before === offsetAt(zone, wall)", "before !== offsetAt(zone, wall)"],
    ["ConditionalExpression", "offsetAt(zone, instant) === before", "true"],
  ].map(
    triple(
      SCHEDULE,
      "harmless",
      "firstInstantOfWall's own test: with at most one transition in its two days (the zone database has no two that cancel so close; the schedule test checks every rule set in 2027 and 2030), equal offsets a day either side already mean the wall time and its instant have that offset too",
    ),
  ),
  ...[
    [
      "ConditionalExpression",
      "before === offsetAt(timezone, day) && before === offsetAt(timezone, day + 86_400_000)",
      "true",
    ],
    [
      "LogicalOperator",
      "before === offsetAt(timezone, day) && before === offsetAt(timezone, day + 86_400_000)",
      "before === offsetAt(timezone, day) || before === offsetAt(timezone, day + 86_400_000)",
    ],
    ["ConditionalExpression", "before === offsetAt(timezone, day)", "true"],
    ["EqualityOperator", "before === offsetAt(timezone, day)", "before !== offsetAt(timezone, day)"],
    ["ConditionalExpression", "before === offsetAt(timezone, day + 86_400_000)", "true"],
    [
      "EqualityOperator",
      "before === offsetAt(timezone, day + 86_400_000)",
      "before !== offsetAt(timezone, day + 86_400_000)",
    ],
    ["ArithmeticOperator", "day + 86_400_000", "day - 86_400_000"],
  ].map(
    triple(
      SCHEDULE,
      "harmless",
      "a middle sample of the steady-offset test: with at most one transition in the span (the zone database has no two that cancel within three days; the schedule test checks every rule set in 2027 and 2030), equal offsets at its two ends already mean none, and a middle sample that differs means two",
    ),
  ),
  // infra/core/schedule.ts
  ...[
    ["ConditionalExpression", 'text === "*"', "false"],
    ["StringLiteral", '"*"', ""],
  ].map(
    triple(
      SCHEDULE,
      "equivalent",
      "a day-of-month of `*` then goes through the list loop, which reads it with values() into the same 1-31 and leaves the other fields empty",
    ),
  ),
  ...[
    ["/^\\d+W$/", "/^\\d+W/"],
    ["/^[A-Z0-9]+L$/", "/[A-Z0-9]+L$/"],
    ["/^[A-Z0-9]+L$/", "/^[A-Z0-9]+L/"],
  ].map(
    ([original, replacement]): SurvivorReason => ({
      file: SCHEDULE,
      mutator: "Regex",
      original: original!,
      replacement: replacement!,
      kind: "harmless",
      reason:
        "what the looser pattern lets through (junk before or after nW or nL) is still refused, by number(), with its 'not a number' message instead",
    }),
  ),
  {
    file: SCHEDULE,
    mutator: "ObjectLiteral",
    original: '{ zone: "UTC" }',
    replacement: "{}",
    kind: "equivalent",
    reason:
      "only the calendar date's validity is asked: luxon keeps a wall time that falls in the process zone's DST gap valid (it shifts it), so no at() is judged differently",
  },
  ...[
    ["MethodExpression", "cron[1]!.trim()", ""],
    ["Regex", "/\\s+/", "/\\s/"],
  ].map(
    triple(
      SCHEDULE,
      "harmless",
      "only padding inside the parentheses or a doubled space differs, which the mutant refuses at preview (a wrong field count); it never reads another schedule",
    ),
  ),
  ...[
    ["StringLiteral", '"1"'],
    ["ArrowFunction", '(n) => (MONTHS.includes(n.toUpperCase()) ? "1" : n)'],
  ].map(
    ([mutator, original]): SurvivorReason => ({
      file: SCHEDULE,
      mutator: mutator!,
      original: original!,
      replacement: "",
      kind: "harmless",
      reason:
        "a three-letter word with L, W or # that is not a month (WED in the month field) is then refused by number() as not a month name, instead of as 'may not use L, W or #'",
    }),
  ),
  ...[
    ["/^[A-Za-z]+(?:[/_-][A-Za-z0-9+_-]+)+$/", "/[A-Za-z]+(?:[/_-][A-Za-z0-9+_-]+)+$/"],
    ["/^[A-Za-z]+(?:[/_-][A-Za-z0-9+_-]+)+$/", "/^[A-Za-z]+(?:[/_-][A-Za-z0-9+_-]+)+/"],
  ].map(
    ([original, replacement]): SurvivorReason => ({
      file: SCHEDULE,
      mutator: "Regex",
      original: original!,
      replacement: replacement!,
      kind: "harmless",
      reason:
        "Intl then refuses what the anchors did (junk before or after a name: 1Europe/London, Europe/London with a trailing space or colon)",
    }),
  ),
  ...[
    ["BooleanLiteral", "false", "true"],
    ["ConditionalExpression", "!c.years.has(y) || !c.months.has(m)", ""],
    ["LogicalOperator", "!c.years.has(y) || !c.months.has(m)", ""],
  ].map(
    ([mutator, original, replacement]): SurvivorReason => ({
      file: SCHEDULE,
      mutator: mutator!,
      original: original!,
      replacement: replacement!,
      near: "if (!c.years.has(y) || !c.months.has(m)) return false;",
      kind: "equivalent",
      reason:
        "matchesDay's one caller, cronOccurrences, has already skipped years and months outside the expression before it asks",
    }),
  ),
  {
    file: SCHEDULE,
    mutator: "ConditionalExpression",
    original: "d <= dim",
    replacement: "true",
    kind: "equivalent",
    reason: "the day loop rolls over at the month's length, so a day past it is never asked about",
  },
  ...[
    ["ConditionalExpression", "!z", "true"],
    ["ConditionalExpression", "off === undefined", "true"],
    ["ConditionalExpression", "z.offsets.size >= 200_000", ""],
    ["EqualityOperator", "z.offsets.size >= 200_000", ""],
  ].map(
    triple(
      SCHEDULE,
      "equivalent",
      "the offset cache: filled, cleared or bypassed, it returns the zone's own offset for the instant; only the speed differs (npm run bench)",
    ),
  ),
  ...[
    ["MethodExpression", "[...new Set(out)].sort((a, b) => a - b)"],
    ["ArrowFunction", "(a, b) => a - b"],
    ["ArithmeticOperator", "a - b"],
  ].map(
    ([mutator, original]): SurvivorReason => ({
      file: SCHEDULE,
      mutator: mutator!,
      original: original!,
      replacement: "",
      kind: "harmless",
      reason:
        "two instants exist only where the offset falls (an overlap), and the offset before it is tried first, so the list is already earliest first; only a zone with two changes within two days could tell",
    }),
  ),
  ...[
    ["ConditionalExpression", "!c.years.has(y)", "false"],
    ["BlockStatement", "y++; m = 1; d = 1; continue;", "{}"],
    ["ConditionalExpression", "!c.months.has(m)", "false"],
    ["BlockStatement", "m++; d = 1; if (m > 12) { m = 1; y++; } continue;", "{}"],
  ].map(
    triple(
      SCHEDULE,
      "equivalent",
      "skips a year or month outside the expression in one step; without it the days are walked one by one and matchesDay refuses each: the same runs, only slower",
    ),
  ),
  ...[
    ["ConditionalExpression", "m > 12", "false"],
    ["BlockStatement", "m = 1; y++;", "{}"],
  ].map(
    triple(
      SCHEDULE,
      "equivalent",
      "month 13 is in no expression's months, and the months check rolls it over into January of the next year",
    ),
  ),
  {
    file: SCHEDULE,
    mutator: "ConditionalExpression",
    original: "at !== undefined",
    replacement: "true",
    kind: "equivalent",
    reason:
      "`undefined > n` is false, so an instant that does not exist is never taken as past `until` or after `from`",
  },
  {
    file: SCHEDULE,
    mutator: "ConditionalExpression",
    original: "at === undefined",
    replacement: "true",
    kind: "equivalent",
    reason:
      "for a run that exists, its wall time less 14 h (the widest offset) lies past until only when the run does, which the line before already returned on",
  },
  ...[
    ["EqualityOperator", "wall - 14 * 3_600_000 > untilMs", ">= untilMs"],
    ["ArithmeticOperator", "14 * 3_600_000", "14 / 3_600_000"],
  ].map(
    triple(
      SCHEDULE,
      "harmless",
      "where a run lost to a spring-forward gap within 14 h after `until` is listed or not: a gap has no instant to compare, and the callers look 400 days ahead, never to an edge a lost run sits on",
    ),
  ),
  ...[
    ["ConditionalExpression", "Date.UTC(y, m - 1, d) - 14 * 3_600_000 > untilMs", "false"],
    ["EqualityOperator", "Date.UTC(y, m - 1, d) - 14 * 3_600_000 > untilMs", ">= untilMs"],
  ].map(
    ([mutator, original, replacement]): SurvivorReason => ({
      file: SCHEDULE,
      mutator: mutator!,
      original: original!,
      replacement: replacement!,
      kind: mutator === "EqualityOperator" ? "harmless" : "equivalent",
      reason:
        mutator === "EqualityOperator"
          ? "differs only for a run at local midnight in a +14:00 zone exactly at `until`"
          : "the day loop's early exit: walking on, the next run is cut by the per-run checks above (or the years run out), so the same runs come out",
    }),
  ),
  ...[
    ["ConditionalExpression", "++seen > 600_000", "false"],
    ["EqualityOperator", "++seen > 600_000", ">="],
    ["UpdateOperator", "++seen", "--seen"],
    ["EqualityOperator", "++runs > 100_000", ">="],
  ].map(
    triple(
      SCHEDULE,
      "harmless",
      "a bound on work for per-minute schedules: 400 days of them are 576 000 runs, under the gap scan's cap, and a few weeks of runs already give the longest gap",
    ),
  ),
  ...[["EqualityOperator", "t > first + Math.max(400 * 86_400_000, 4 * longest * 1000)", ">="]].map(
    triple(
      SCHEDULE,
      "harmless",
      "looks one run further for a calendar that repeats: the longest gap is already among those seen",
    ),
  ),
  ...[
    ["MethodExpression", "[...parsed.years].filter((y) => y >= from.getUTCFullYear() - 1)", ""],
    ["ConditionalExpression", "y >= from.getUTCFullYear() - 1", "true"],
    ["EqualityOperator", "y >= from.getUTCFullYear() - 1", ""],
    ["ArithmeticOperator", "from.getUTCFullYear() - 1", "+ 1"],
  ].map(
    triple(
      SCHEDULE,
      "equivalent",
      "which years count as ahead decides only whether the scan may stop early; a calendar taken as not repeating is scanned to its last year (or the run cap) and gives the same longest gap",
    ),
  ),
  {
    file: SCHEDULE,
    mutator: "BooleanLiteral",
    original: "false",
    replacement: "true",
    near: "const base = { any: false, days: new Set<number>(), lastOf:",
    kind: "equivalent",
    reason: "day-of-week's base is used only for `?`, which sets any: true over it",
  },
  // infra/host-maintenance/scripts.ts
  {
    file: "infra/host-maintenance/scripts.ts",
    mutator: "StringLiteral",
    original: '"_"',
    replacement: "",
    near: 't.name.replace(/-/g, "_")',
    kind: "equivalent",
    reason:
      "bash takes the shorter function name too, and each function is defined right before its one call, so even two names that collapse into one run their own bodies",
  },
  {
    file: "infra/host-maintenance/scripts.ts",
    mutator: "StringLiteral",
    original: "DRY_RUN=",
    replacement: "",
    kind: "harmless",
    reason:
      "the base-backup script calls none of the prelude's functions that read DRY_RUN (its dry run is decided when it is generated); the host scripts' copy is pinned",
  },
];
