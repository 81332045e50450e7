// Preview-like diff between two offline plans: create, update (with changed property paths), delete, replace.
import { hostScriptSettings, isHostScript } from "../../infra/host-maintenance/script-settings";
import { type LeafChange, reviewFlags } from "./review-rules";

export type { LeafChange } from "./review-rules";
export interface PlanResourceLike {
  readonly type: string;
  readonly name: string;
  readonly parent?: string | null;
  readonly region?: string;
  readonly inputs: Record<string, unknown>;
}

export interface PlanLike {
  readonly stack: string;
  readonly resources: readonly PlanResourceLike[];
}

export type ChangeKind = "create" | "update" | "delete" | "replace" | "same";

export interface ResourceChange {
  readonly kind: ChangeKind;
  readonly type: string;
  readonly name: string;
  /** Changed input paths (`target.retryPolicy.maximumRetryAttempts`), for update and replace. */
  readonly properties: string[];
  /** Paths among `properties` that force replacement. */
  readonly replaceBecause: string[];
  /** Every changed leaf with its old and new value, inside JSON-valued inputs too (update and replace). */
  readonly values?: LeafChange[];
  readonly before?: Record<string, unknown>;
  readonly after?: Record<string, unknown>;
  /**
   * Why a reviewer must look twice: deletes/replaces of stateful resources, shortened retention, forceDestroy,
   * replication removed or stopped.
   */
  readonly dangers: string[];
}

export interface StackDiff {
  readonly stack: string;
  readonly changes: ResourceChange[];
  /** Estimated monthly cost in USD before (0 for a new stack) and after (scripts/cost/estimate.ts). */
  readonly cost?: { readonly before: number; readonly after: number };
}

/**
 * Inputs whose change makes the provider replace the resource ("Changes to this property will trigger replacement"
 * in the Pulumi registry docs for each type). `region` replaces everything in @pulumi/aws v7.
 */
export const REPLACE_ON: Readonly<Record<string, readonly string[]>> = {
  "aws:kms/key:Key": ["customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"],
  "aws:kms/alias:Alias": ["name", "namePrefix"],
  "aws:s3/bucket:Bucket": ["bucket", "bucketPrefix", "objectLockEnabled"],
  "aws:s3/bucketPolicy:BucketPolicy": ["bucket"],
  "aws:s3/bucketVersioning:BucketVersioning": ["bucket"],
  "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ["bucket"],
  "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ["bucket"],
  "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ["bucket"],
  "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ["bucket"],
  "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": ["bucket"],
  "aws:s3/bucketReplicationConfig:BucketReplicationConfig": ["bucket"],
  "aws:sns/topic:Topic": ["name", "namePrefix", "fifoTopic"],
  "aws:sns/topicSubscription:TopicSubscription": ["topic", "protocol", "endpoint"],
  "aws:sns/topicPolicy:TopicPolicy": ["arn"],
  "aws:sqs/queue:Queue": ["name", "namePrefix", "fifoQueue"],
  "aws:lambda/function:Function": ["name", "packageType"],
  "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": ["functionName", "qualifier"],
  "aws:iam/role:Role": ["name", "namePrefix", "path"],
  "aws:iam/rolePolicy:RolePolicy": ["name", "namePrefix", "role"],
  "aws:cloudwatch/logGroup:LogGroup": ["name", "namePrefix"],
  "aws:cloudwatch/metricAlarm:MetricAlarm": ["name"],
  "aws:cloudwatch/compositeAlarm:CompositeAlarm": ["alarmName"],
  "aws:cloudwatch/logMetricFilter:LogMetricFilter": ["name", "logGroupName"],
  "aws:cloudwatch/dashboard:Dashboard": ["dashboardName"],
  "aws:scheduler/schedule:Schedule": ["name", "namePrefix", "groupName"],
  "aws:scheduler/scheduleGroup:ScheduleGroup": ["name", "namePrefix"],
  "aws:ssm/parameter:Parameter": ["name"],
  "aws:route53/healthCheck:HealthCheck": [
    "type",
    "referenceName",
    "requestInterval",
    "measureLatency",
    "routingControlArn",
  ],
  "aws:ecr/repository:Repository": ["name"],
  "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": ["name", "destination"],
  "random:index/randomId:RandomId": ["byteLength", "keepers", "prefix"],
};

/** Resources whose replacement or deletion loses data or breaks decryption. */
export const STATEFUL: ReadonlySet<string> = new Set([
  "aws:kms/key:Key",
  "aws:s3/bucket:Bucket",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:ecr/repository:Repository",
  "aws:ssm/parameter:Parameter",
  "random:index/randomId:RandomId",
]);

/**
 * The inputs a reviewer reads on a resource that is new: when it runs, what it alarms on, how long it keeps data and
 * what limits its deletions (the rest of a create is names and wiring).
 */
const MATTERS =
  /(^|\.)(scheduleExpression|scheduleExpressionTimezone|threshold|comparisonOperator|period|evaluationPeriods|datapointsToAlarm|metricName|extendedStatistic|statistic|expression|pattern|retentionInDays|days|years|noncurrentDays|messageRetentionSeconds|deletionWindowInDays|(hot)?[rR]etentionDays(\.\w+)?|expirationDays|keepLast(Floor)?|keepWithin\w*|freshness\w*|maxDeletesPerRun|maxMarksPerRun|maxRowsPerRun|maxFiles|olderThanDays|olderThanHours|retentionFull|files|allowEmptying|dryRun|rpoHours|warningDays|criticalDays|requestInterval|failureThreshold|timeout|memorySize)$/;

const key = (r: { type: string; name: string }) => `${r.type}::${r.name}`;

/** Fields that name an array element, so `rules[dumps-daily]` stays the same rule when the array is reordered. */
const ELEMENT_KEYS = ["id", "name", "database", "Sid", "host"];

function elementKeys(items: readonly unknown[]): string[] {
  for (const field of ELEMENT_KEYS) {
    const ids = items.map((v) =>
      v !== null && typeof v === "object" ? (v as Record<string, unknown>)[field] : undefined,
    );
    if (ids.every((id) => typeof id === "string" && /^[^[\]]+$/.test(id)) && new Set(ids).size === ids.length)
      return ids as string[];
  }
  return items.map((_, i) => String(i));
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(prefix, "[]");
    const keys = elementKeys(value);
    for (const [i, v] of value.entries()) flatten(v, `${prefix}[${keys[i]}]`, out);
  } else if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) out.set(prefix, "{}");
    for (const [k, v] of entries) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (typeof value === "string" && isHostScript(value)) {
    // A generated host script stays one leaf (every change shows), and its deleting settings become leaves of their
    // own (`values[0].script.tasks[old-logs].olderThanDays`), so the review rules see them as they see JOB_CONFIG's.
    out.set(prefix, value);
    flatten(hostScriptSettings(value), `${prefix}.script`, out);
  } else if (typeof value === "string" && /^\s*[[{]/.test(value)) {
    // JSON documents (IAM and bucket policies) are compared by their structure, not as one long string.
    try {
      flatten(JSON.parse(value), prefix, out);
    } catch {
      out.set(prefix, value);
    }
  } else {
    out.set(prefix, value);
  }
}

/** Every changed leaf between two input objects, JSON strings looked inside, sorted by path. */
export function changedLeaves(before: Record<string, unknown>, after: Record<string, unknown>): LeafChange[] {
  const a = new Map<string, unknown>();
  const b = new Map<string, unknown>();
  flatten(before, "", a);
  flatten(after, "", b);
  const out: LeafChange[] = [];
  for (const p of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (JSON.stringify(a.get(p)) !== JSON.stringify(b.get(p)))
      out.push({ path: p.replace(/^\./, ""), before: a.get(p), after: b.get(p) });
  }
  return out;
}

const REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig";
type ReplicationRule = { id?: string; status?: string; deleteMarkerReplication?: { status?: string } };

/**
 * Replication that stops or starts deleting: a removed configuration or rule, a rule no longer Enabled (new dumps stop
 * reaching the DR region), or delete markers that now replicate (a deleted source dump would hide its DR copy).
 */
function replicationWeakened(
  type: string,
  before: Record<string, unknown>,
  after: Record<string, unknown> | undefined,
): string[] {
  if (type !== REPLICATION) return [];
  const bucket = String(before.bucket ?? after?.bucket);
  if (!after) return [`removes S3 replication of ${bucket}: its new dumps no longer reach the DR region`];
  const rules = (x: Record<string, unknown>) =>
    new Map(((x.rules ?? []) as ReplicationRule[]).map((r) => [String(r.id), r]));
  const now = rules(after);
  const out: string[] = [];
  for (const [id, r] of rules(before)) {
    const n = now.get(id);
    if (r.status === "Enabled" && n?.status !== "Enabled")
      out.push(`stops replication rule ${id} of ${bucket}: its new dumps no longer reach the DR region`);
    else if (
      n &&
      r.deleteMarkerReplication?.status !== "Enabled" &&
      n.deleteMarkerReplication?.status === "Enabled"
    )
      out.push(
        `replicates delete markers under rule ${id} of ${bucket}: a deleted source dump would hide its DR copy`,
      );
  }
  return out;
}

/** The leaf paths, collapsed at the first array element: the changed properties a summary line names. */
export function changedPaths(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return collapse(changedLeaves(before, after));
}

const collapse = (leaves: readonly LeafChange[]) =>
  [...new Set(leaves.map((l) => l.path.replace(/\[[^\]]*\].*$/, "") || l.path))].sort();

export function diffPlans(before: PlanLike | undefined, after: PlanLike): StackDiff {
  const old = new Map((before?.resources ?? []).map((r) => [key(r), r]));
  const now = new Map(after.resources.map((r) => [key(r), r]));
  const changes: ResourceChange[] = [];
  for (const [k, r] of now) {
    const prev = old.get(k);
    if (!prev) {
      changes.push({
        kind: "create",
        type: r.type,
        name: r.name,
        properties: [],
        replaceBecause: [],
        values: changedLeaves({}, r.inputs).filter((l) => MATTERS.test(l.path)),
        after: r.inputs,
        dangers: [],
      });
      continue;
    }
    const values = changedLeaves(prev.inputs, r.inputs);
    const properties = collapse(values);
    if (prev.region !== r.region) {
      properties.push("region");
      values.push({ path: "region", before: prev.region, after: r.region });
    }
    if (properties.length === 0) {
      changes.push({ kind: "same", type: r.type, name: r.name, properties, replaceBecause: [], dangers: [] });
      continue;
    }
    const forcing = [...(REPLACE_ON[r.type] ?? ["name"]), "region"];
    const replaceBecause = properties.filter((p) => forcing.includes(p.split(".")[0]!));
    const dangers = [...reviewFlags(values), ...replicationWeakened(r.type, prev.inputs, r.inputs)];
    if (r.inputs.forceDestroy === true && prev.inputs.forceDestroy !== true)
      dangers.push("forceDestroy turned on");
    if (replaceBecause.length && STATEFUL.has(r.type))
      dangers.push(`replaces a stateful ${r.type}: its data does not move to the new one`);
    changes.push({
      kind: replaceBecause.length ? "replace" : "update",
      type: r.type,
      name: r.name,
      properties,
      replaceBecause,
      values,
      before: prev.inputs,
      after: r.inputs,
      dangers,
    });
  }
  for (const [k, r] of old) {
    if (now.has(k)) continue;
    changes.push({
      kind: "delete",
      type: r.type,
      name: r.name,
      properties: [],
      replaceBecause: [],
      before: r.inputs,
      dangers: [
        ...(STATEFUL.has(r.type) ? [`deletes a stateful ${r.type}`] : []),
        ...replicationWeakened(r.type, r.inputs, undefined),
      ],
    });
  }
  changes.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
  return { stack: after.stack, changes };
}
