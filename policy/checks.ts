// The project's invariants as pure checks over a stack's resources (type, name, inputs): the same functions run in the
// policy pack (`pulumi preview --policy-pack policy`) and in the test suite over every committed offline plan.

export interface PolicyResource {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

export interface PolicyContext {
  readonly isProd: boolean;
}

export interface Check {
  readonly name: string;
  readonly description: string;
  /** Violations, each naming the resource; empty when the stack complies. */
  readonly check: (resources: readonly PolicyResource[], ctx: PolicyContext) => string[];
}

const T = {
  key: "aws:kms/key:Key",
  bucket: "aws:s3/bucket:Bucket",
  sse: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
  pab: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
  bucketPolicy: "aws:s3/bucketPolicy:BucketPolicy",
  versioning: "aws:s3/bucketVersioning:BucketVersioning",
  lifecycle: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
  lock: "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
  fn: "aws:lambda/function:Function",
  invokeConfig: "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
  logGroup: "aws:cloudwatch/logGroup:LogGroup",
  schedule: "aws:scheduler/schedule:Schedule",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
  policy: "aws:iam/policy:Policy",
  role: "aws:iam/role:Role",
  metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  compositeAlarm: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
  ecr: "aws:ecr/repository:Repository",
  taskDefinition: "aws:ecs/taskDefinition:TaskDefinition",
} as const;

const ofType = (rs: readonly PolicyResource[], type: string) => rs.filter((r) => r.type === type);
const get = (o: unknown, path: string): unknown =>
  path
    .split(".")
    .reduce<unknown>(
      (v, k) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[k] : undefined),
      o,
    );
const parse = (v: unknown): unknown => {
  if (typeof v !== "string") return v;
  try {
    return JSON.parse(v);
  } catch {
    return undefined;
  }
};
const statements = (doc: unknown): Record<string, unknown>[] => {
  const s = get(parse(doc), "Statement");
  return Array.isArray(s) ? (s as Record<string, unknown>[]) : s ? [s as Record<string, unknown>] : [];
};
/** Sub-resources point at their bucket by name (`bucket: bucket.id`). */
const forBucket = (rs: readonly PolicyResource[], type: string, bucket: PolicyResource) =>
  ofType(rs, type).filter((r) => r.inputs.bucket === bucket.inputs.bucket);
/** Names of the buckets some IAM policy lets a role write yearly backups into (s3:PutObject on <bucket>/yearly/...). */
const yearlyLandingBuckets = (rs: readonly PolicyResource[]): Set<string> =>
  new Set(
    [...ofType(rs, T.rolePolicy), ...ofType(rs, T.policy)]
      .flatMap((p) => statements(p.inputs.policy))
      .filter((s) => s.Effect === "Allow" && [s.Action].flat().includes("s3:PutObject"))
      .flatMap((s) => [s.Resource].flat())
      .flatMap((r) => /^arn:[^:]+:s3:::([^/]+)\/yearly\//.exec(String(r))?.slice(1) ?? []),
  );

export const CHECKS: readonly Check[] = [
  {
    name: "kms-rotation-enabled",
    description: "Every customer-managed KMS key rotates automatically.",
    check: (rs) =>
      ofType(rs, T.key)
        .filter((k) => k.inputs.enableKeyRotation !== true)
        .map((k) => `${k.name}: enableKeyRotation is not true`),
  },
  {
    name: "bucket-kms-encrypted",
    description: "Every bucket is encrypted with SSE-KMS by default.",
    check: (rs) =>
      ofType(rs, T.bucket).flatMap((b) => {
        const sse = forBucket(rs, T.sse, b);
        const ok = sse.some((c) =>
          (c.inputs.rules as unknown[] | undefined)?.some(
            (r) => get(r, "applyServerSideEncryptionByDefault.sseAlgorithm") === "aws:kms",
          ),
        );
        return ok ? [] : [`${b.name}: no SSE-KMS default encryption`];
      }),
  },
  {
    name: "bucket-public-access-blocked",
    description: "Every bucket blocks all four kinds of public access.",
    check: (rs) =>
      ofType(rs, T.bucket).flatMap((b) => {
        const flags = ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"];
        const ok = forBucket(rs, T.pab, b).some((p) => flags.every((f) => p.inputs[f] === true));
        return ok ? [] : [`${b.name}: public access is not fully blocked`];
      }),
  },
  {
    name: "bucket-tls-only",
    description: "Every bucket policy denies requests without TLS.",
    check: (rs) =>
      ofType(rs, T.bucket).flatMap((b) => {
        const ok = forBucket(rs, T.bucketPolicy, b).some((p) =>
          statements(p.inputs.policy).some(
            (s) => s.Effect === "Deny" && String(get(s, "Condition.Bool.aws:SecureTransport")) === "false",
          ),
        );
        return ok ? [] : [`${b.name}: no policy statement denies aws:SecureTransport=false`];
      }),
  },
  {
    name: "bucket-versioned",
    description: "Every bucket keeps versions.",
    check: (rs) =>
      ofType(rs, T.bucket).flatMap((b) =>
        forBucket(rs, T.versioning, b).some(
          (v) => get(v.inputs, "versioningConfiguration.status") === "Enabled",
        )
          ? []
          : [`${b.name}: versioning is not enabled`],
      ),
  },
  {
    name: "bucket-never-force-destroy",
    description: "No bucket can be deleted with its objects (forceDestroy).",
    check: (rs) =>
      ofType(rs, T.bucket)
        .filter((b) => b.inputs.forceDestroy === true)
        .map((b) => `${b.name}: forceDestroy is true`),
  },
  {
    name: "long-backup-tier-object-lock",
    description:
      "In prod, a bucket that yearly backups land in (a role may put objects under yearly/) has Object Lock in COMPLIANCE mode. Lifecycle rules alone do not say it: every bucket of dumps keeps every tier's expiry rules, for dumps left there before a tier moved.",
    check: (rs, ctx) => {
      if (!ctx.isProd) return [];
      const landing = yearlyLandingBuckets(rs);
      return ofType(rs, T.bucket).flatMap((b) => {
        if (!landing.has(String(b.inputs.bucket))) return [];
        const locked =
          b.inputs.objectLockEnabled === true &&
          forBucket(rs, T.lock, b).some((l) => get(l.inputs, "rule.defaultRetention.mode") === "COMPLIANCE");
        return locked ? [] : [`${b.name}: yearly backup tier without Object Lock in COMPLIANCE mode`];
      });
    },
  },
  {
    name: "lambda-on-failure-destination",
    description: "Every Lambda sends failed async invocations to a destination.",
    check: (rs) =>
      ofType(rs, T.fn).flatMap((f) =>
        ofType(rs, T.invokeConfig).some(
          (c) =>
            c.inputs.functionName === f.inputs.name &&
            get(c.inputs, "destinationConfig.onFailure.destination"),
        )
          ? []
          : [`${f.name}: no EventInvokeConfig with an on-failure destination`],
      ),
  },
  {
    name: "lambda-reserved-concurrency",
    description: "Every Lambda has reserved concurrency.",
    check: (rs) =>
      ofType(rs, T.fn)
        .filter(
          (f) =>
            typeof f.inputs.reservedConcurrentExecutions !== "number" ||
            (f.inputs.reservedConcurrentExecutions as number) < 1,
        )
        .map((f) => `${f.name}: reservedConcurrentExecutions is not set to 1 or more`),
  },
  {
    name: "lambda-log-group-retention",
    description: "Every Lambda has its own log group with a retention period.",
    check: (rs) =>
      ofType(rs, T.fn).flatMap((f) =>
        ofType(rs, T.logGroup).some(
          (g) =>
            g.inputs.name === `/aws/lambda/${f.inputs.name}` && typeof g.inputs.retentionInDays === "number",
        )
          ? []
          : [`${f.name}: no /aws/lambda/${String(f.inputs.name)} log group with retention`],
      ),
  },
  {
    name: "schedule-timezone-retry-dlq",
    description: "Every schedule names a timezone, a retry policy and a dead-letter queue.",
    check: (rs) =>
      ofType(rs, T.schedule).flatMap((s) => {
        const missing = [
          s.inputs.scheduleExpressionTimezone ? undefined : "scheduleExpressionTimezone",
          get(s.inputs, "target.retryPolicy") ? undefined : "target.retryPolicy",
          get(s.inputs, "target.deadLetterConfig.arn") ? undefined : "target.deadLetterConfig",
        ].filter(Boolean);
        return missing.length ? [`${s.name}: missing ${missing.join(", ")}`] : [];
      }),
  },
  {
    name: "iam-no-wildcard-action",
    description: "No IAM statement allows `*` or `service:*`.",
    check: (rs) =>
      [...ofType(rs, T.rolePolicy), ...ofType(rs, T.policy)].flatMap((p) =>
        statements(p.inputs.policy)
          .filter((s) => s.Effect === "Allow")
          .flatMap((s) =>
            [s.Action]
              .flat()
              .filter((a) => a === "*" || /^[a-z0-9-]+:\*$/i.test(String(a)))
              .map((a) => `${p.name}: statement ${String(s.Sid ?? "?")} allows "${String(a)}"`),
          ),
      ),
  },
  {
    name: "backup-tiers-expire-only-when-marked",
    description:
      "In a bucket of backup tiers (a rule filters on a `tier` tag), every expiring rule requires `expire=true`, which only the verification job's floor and freshness rules set; only `.incoming/` staging expires by age. Age alone never deletes a backup.",
    check: (rs) =>
      ofType(rs, T.lifecycle).flatMap((l) => {
        const rules = (l.inputs.rules as Record<string, unknown>[] | undefined) ?? [];
        const tagsOf = (r: Record<string, unknown>) => {
          const single = get(r, "filter.tag") as { key?: string; value?: string } | undefined;
          return {
            ...((get(r, "filter.and.tags") ?? {}) as Record<string, unknown>),
            ...(single?.key ? { [single.key]: single.value } : {}),
          };
        };
        if (!rules.some((r) => "tier" in tagsOf(r))) return [];
        return rules
          .filter((r) => r.expiration !== undefined)
          .filter((r) => tagsOf(r).expire !== "true")
          .filter((r) => (get(r, "filter.prefix") ?? get(r, "filter.and.prefix")) !== ".incoming/")
          .map((r) => `${l.name}: rule ${String(r.id)} expires backups by age alone`);
      }),
  },
  {
    name: "container-images-scanned-and-pinned",
    description:
      "Every ECR repository scans on push; every container Lambda and task runs an image pinned by digest (tags may move).",
    check: (rs) => [
      ...ofType(rs, T.ecr).flatMap((r) => [
        ...(get(r.inputs, "imageScanningConfiguration.scanOnPush") === true
          ? []
          : [`${r.name}: scanOnPush is not true`]),
      ]),
      ...ofType(rs, T.fn)
        .filter((f) => f.inputs.packageType === "Image" && !String(f.inputs.imageUri).includes("@sha256:"))
        .map((f) => `${f.name}: imageUri is not pinned by digest`),
      ...ofType(rs, T.taskDefinition).flatMap((t) => {
        const containers = parse(t.inputs.containerDefinitions);
        return (Array.isArray(containers) ? (containers as Record<string, unknown>[]) : [])
          .filter((c) => !String(c.image).includes("@sha256:"))
          .map((c) => `${t.name}: container ${String(c.name)} image is not pinned by digest`);
      }),
    ],
  },
  {
    name: "prod-alarms-have-actions",
    description: "In prod, every alarm notifies someone, itself or through a composite alarm that does.",
    check: (rs, ctx) => {
      if (!ctx.isProd) return [];
      const acting = (a: PolicyResource) =>
        a.inputs.actionsEnabled !== false &&
        Array.isArray(a.inputs.alarmActions) &&
        a.inputs.alarmActions.length > 0;
      const composites = ofType(rs, T.compositeAlarm).filter(acting);
      const covered = new Set(
        composites.flatMap((c) =>
          [...String(c.inputs.alarmRule).matchAll(/ALARM\("([^"]+)"\)/g)].map((m) => m[1]),
        ),
      );
      const metric = ofType(rs, T.metricAlarm).filter(
        (a) => !acting(a) && !covered.has(String(a.inputs.name)),
      );
      const comp = ofType(rs, T.compositeAlarm).filter((a) => !acting(a));
      return [...metric, ...comp].map(
        (a) => `${a.name}: no alarm actions and no acting composite alarm covers it`,
      );
    },
  },
];

/** Runs every check; prod is decided by the `environment` tag the stack puts on its resources. */
export function runChecks(
  resources: readonly PolicyResource[],
  ctx?: PolicyContext,
): { check: string; violation: string }[] {
  const context = ctx ?? { isProd: resources.some((r) => get(r.inputs, "tags.environment") === "prod") };
  return CHECKS.flatMap((c) =>
    c.check(resources, context).map((violation) => ({ check: c.name, violation })),
  );
}
