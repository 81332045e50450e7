// Every committed stack passes every policy offline, and each policy fails on a resource built to break it.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CHECKS, type PolicyResource, runChecks } from "../../policy/checks";

const PLAN_DIR = join(__dirname, "..", "..", "plan");
const plans = readdirSync(PLAN_DIR).filter((f) => f.endsWith(".json"));
const load = (file: string) =>
  JSON.parse(readFileSync(join(PLAN_DIR, file), "utf8")) as { resources: PolicyResource[] };

describe("policy checks over every committed plan", () => {
  it("has plans to check", () => expect(plans.length).toBeGreaterThanOrEqual(6));
  it.each(plans)("%s complies with every policy", (file) => {
    expect(runChecks(load(file).resources)).toEqual([]);
  });
});

/** dev's plan with one change applied: the change must produce exactly the named check's violation. */
function breaks(check: string, mutate: (rs: PolicyResource[]) => PolicyResource[], isProd = false) {
  const good = load("dev.json").resources.map((r) => ({ ...r, inputs: structuredClone(r.inputs) }));
  const bad = mutate(good);
  const violations = runChecks(bad, { isProd });
  expect(violations.length).toBeGreaterThan(0);
  expect(new Set(violations.map((v) => v.check))).toEqual(new Set([check]));
}

const edit = (type: string, f: (inputs: Record<string, unknown>) => void) => (rs: PolicyResource[]) => {
  const hit = rs.find((r) => r.type === type);
  if (!hit) throw new Error(`dev plan has no ${type}`);
  f(hit.inputs);
  return rs;
};
const drop = (type: string) => (rs: PolicyResource[]) => rs.filter((r) => r.type !== type);

/** A minimal compliant bucket, since dev's buckets arrive with log archival; each case breaks one part of it. */
const bucketSet = (over: Partial<Record<string, Record<string, unknown>>> = {}): PolicyResource[] => [
  {
    type: "aws:s3/bucket:Bucket",
    name: "b",
    inputs: { bucket: "app-b", forceDestroy: false, objectLockEnabled: false, ...over.bucket },
  },
  {
    type: "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    name: "b-sse",
    inputs: {
      bucket: "app-b",
      rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms" } }],
      ...over.sse,
    },
  },
  {
    type: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    name: "b-pab",
    inputs: {
      bucket: "app-b",
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
      ...over.pab,
    },
  },
  {
    type: "aws:s3/bucketPolicy:BucketPolicy",
    name: "b-policy",
    inputs: {
      bucket: "app-b",
      policy: JSON.stringify({
        Statement: [
          { Effect: "Deny", Action: "s3:*", Condition: { Bool: { "aws:SecureTransport": "false" } } },
        ],
      }),
      ...over.policy,
    },
  },
  {
    type: "aws:s3/bucketVersioning:BucketVersioning",
    name: "b-v",
    inputs: { bucket: "app-b", versioningConfiguration: { status: "Enabled" }, ...over.versioning },
  },
  ...(over.lifecycle
    ? [
        {
          type: "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
          name: "b-l",
          inputs: { bucket: "app-b", ...over.lifecycle },
        },
      ]
    : []),
  ...(over.rolePolicy
    ? [{ type: "aws:iam/rolePolicy:RolePolicy", name: "b-writer", inputs: { ...over.rolePolicy } }]
    : []),
];

describe("each policy fails on a resource built to break it", () => {
  it("kms-rotation-enabled", () =>
    breaks(
      "kms-rotation-enabled",
      edit("aws:kms/key:Key", (i) => {
        i.enableKeyRotation = false;
      }),
    ));
  it("lambda-on-failure-destination", () =>
    breaks(
      "lambda-on-failure-destination",
      drop("aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig"),
    ));
  it("lambda-reserved-concurrency", () =>
    breaks(
      "lambda-reserved-concurrency",
      edit("aws:lambda/function:Function", (i) => {
        delete i.reservedConcurrentExecutions;
      }),
    ));
  it("lambda-log-group-retention", () =>
    breaks(
      "lambda-log-group-retention",
      edit("aws:cloudwatch/logGroup:LogGroup", (i) => {
        delete i.retentionInDays;
      }),
    ));
  it("schedule-timezone-retry-dlq", () =>
    breaks(
      "schedule-timezone-retry-dlq",
      edit("aws:scheduler/schedule:Schedule", (i) => {
        delete (i.target as Record<string, unknown>).deadLetterConfig;
      }),
    ));
  it("iam-no-wildcard-action", () =>
    breaks(
      "iam-no-wildcard-action",
      edit("aws:iam/rolePolicy:RolePolicy", (i) => {
        i.policy = JSON.stringify({
          Statement: [{ Sid: "Oops", Effect: "Allow", Action: ["s3:*"], Resource: "*" }],
        });
      }),
    ));
  it("backup-tiers-expire-only-when-marked", () => {
    const rs = load("telemed-prod.json").resources.map((r) => ({ ...r, inputs: structuredClone(r.inputs) }));
    const lifecycle = rs.find((r) => r.name === "telemed-dumps-bucket-lifecycle")!;
    const rule = (
      lifecycle.inputs.rules as Array<{ id: string; filter: { and: { tags: Record<string, string> } } }>
    ).find((r) => r.id === "telemed-daily")!;
    delete rule.filter.and.tags.expire;
    // A plain prefix rule in the same bucket is caught too: only .incoming/ staging may expire by age.
    (lifecycle.inputs.rules as object[]).push({
      id: "old-dailies",
      status: "Enabled",
      filter: { prefix: "daily/" },
      expiration: { days: 30 },
    });
    expect(runChecks(rs, { isProd: true })).toEqual([
      {
        check: "backup-tiers-expire-only-when-marked",
        violation: "telemed-dumps-bucket-lifecycle: rule telemed-daily expires backups by age alone",
      },
      {
        check: "backup-tiers-expire-only-when-marked",
        violation: "telemed-dumps-bucket-lifecycle: rule old-dailies expires backups by age alone",
      },
    ]);
  });

  it("container-images-scanned-and-pinned", () => {
    const from = (file: string, mutate: (rs: PolicyResource[]) => PolicyResource[]) => {
      const rs = load(file).resources.map((r) => ({ ...r, inputs: structuredClone(r.inputs) }));
      return new Set(runChecks(mutate(rs), { isProd: true }).map((v) => `${v.check}: ${v.violation}`));
    };
    const scan = from(
      "telemed-prod.json",
      edit("aws:ecr/repository:Repository", (i) => {
        i.imageScanningConfiguration = { scanOnPush: false };
      }),
    );
    expect(scan).toEqual(
      new Set(["container-images-scanned-and-pinned: telemed-dumps-image-repo: scanOnPush is not true"]),
    );
    const lambda = from("telemed-prod.json", (rs) =>
      rs.map((r) =>
        r.type === "aws:lambda/function:Function" && r.inputs.packageType === "Image"
          ? {
              ...r,
              inputs: { ...r.inputs, imageUri: "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:latest" },
            }
          : r,
      ),
    );
    expect(lambda).toEqual(
      new Set([
        "container-images-scanned-and-pinned: telemed-dumps-telemed-fn: imageUri is not pinned by digest",
        "container-images-scanned-and-pinned: telemed-dumps-verify-fn: imageUri is not pinned by digest",
      ]),
    );
    const task = from(
      "skillswap-prod.json",
      edit("aws:ecs/taskDefinition:TaskDefinition", (i) => {
        i.containerDefinitions = JSON.stringify([{ name: "job", image: "repo:latest" }]);
      }),
    );
    expect(task).toEqual(
      new Set([
        "container-images-scanned-and-pinned: skillswap-dbmaint-skillswap-task: container job image is not pinned by digest",
      ]),
    );
  });

  it("prod-alarms-have-actions", () =>
    breaks(
      "prod-alarms-have-actions",
      edit("aws:cloudwatch/metricAlarm:MetricAlarm", (i) => {
        i.actionsEnabled = false;
      }),
      true,
    ));
  it("prod-alarms-have-actions also catches a member whose composite cannot act", () =>
    breaks(
      "prod-alarms-have-actions",
      edit("aws:cloudwatch/compositeAlarm:CompositeAlarm", (i) => {
        i.alarmActions = [];
      }),
      true,
    ));

  const bucketCases: Array<[string, Partial<Record<string, Record<string, unknown>>>, boolean]> = [
    [
      "bucket-kms-encrypted",
      { sse: { rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] } },
      false,
    ],
    ["bucket-public-access-blocked", { pab: { restrictPublicBuckets: false } }, false],
    ["bucket-tls-only", { policy: { policy: JSON.stringify({ Statement: [] }) } }, false],
    ["bucket-versioned", { versioning: { versioningConfiguration: { status: "Suspended" } } }, false],
    ["bucket-never-force-destroy", { bucket: { forceDestroy: true } }, false],
    [
      "long-backup-tier-object-lock",
      {
        rolePolicy: {
          policy: JSON.stringify({
            Statement: [
              { Effect: "Allow", Action: ["s3:PutObject"], Resource: ["arn:aws:s3:::app-b/yearly/db/*"] },
            ],
          }),
        },
      },
      true,
    ],
  ];
  it("a compliant bucket passes", () => expect(runChecks(bucketSet(), { isProd: true })).toEqual([]));
  it.each(bucketCases)("%s", (check, over, isProd) => {
    expect(runChecks(bucketSet(), { isProd })).toEqual([]);
    expect(new Set(runChecks(bucketSet(over), { isProd }).map((v) => v.check))).toEqual(new Set([check]));
  });

  it("covers every policy with a breaking case", () => {
    expect(CHECKS.map((c) => c.name).sort()).toEqual(
      [
        "kms-rotation-enabled",
        "lambda-on-failure-destination",
        "lambda-reserved-concurrency",
        "lambda-log-group-retention",
        "schedule-timezone-retry-dlq",
        "iam-no-wildcard-action",
        "prod-alarms-have-actions",
        "container-images-scanned-and-pinned",
        "backup-tiers-expire-only-when-marked",
        ...bucketCases.map(([c]) => c),
      ].sort(),
    );
  });
});
