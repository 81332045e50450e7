// Exact assertions on the replication of dumps to the DR region: the replication configurations (rules, filters,
// delete markers, SSE-KMS selection, storage class, DR key, metrics and RTC), the DR buckets (region, key, the vault's
// Object Lock, tag-driven lifecycle), the replication role, the alarms, and the verify job's DR config and grants.
import { loadConfig } from "../../../infra/config";
import { dumpReplicationOf } from "../../../infra/backups/capability";
import { replicationConfigRules } from "../../../infra/backups/dump-replication";
import { buildStack } from "../../../infra/program";
import { demoSource } from "../../support/config-source";
import { findResource, ofType, type RecordedResource, recordProgram } from "../../support/pulumi-mocks";

const ACCOUNT = "123456789012";
const REGION = "eu-west-2";
const DR = "eu-west-1";
const SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:db-AbCdEf`;
const json = (r: RecordedResource, key: string) => JSON.parse(String(r.inputs[key]));

const database = {
  name: "pg",
  kind: "self-hosted",
  engine: "postgres",
  dump: {
    connection: { host: "pg.internal", database: "app_db", user: "backup", passwordSecretArn: SECRET },
    network: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] },
    tiers: {
      daily: { expression: "cron(0 2 * * ? *)", retention: "30d" },
      weekly: { expression: "cron(0 3 ? * SUN *)", retention: "14d" },
      yearly: { expression: "cron(0 3 1 1 ? *)", retention: "7y", objectLock: "COMPLIANCE" },
    },
  },
};
const sections = (replication: unknown, drRegion: string | undefined = DR) => ({
  ...(drRegion ? { encryption: { rotationDays: 365, drRegion } } : {}),
  backups: { rpoHours: 26, databases: [database], ...(replication ? { dumpReplication: replication } : {}) },
});
const record = (s: Record<string, unknown>) =>
  recordProgram(() => buildStack(loadConfig(demoSource(s))), { stack: "demo", region: REGION });

let resources: RecordedResource[];
beforeAll(async () => {
  resources = await record(sections({ enabled: true, maxLatencyMinutes: 15 }));
});

const bucketName = (purpose: string) =>
  String(
    ofType(resources, "aws:s3/bucket:Bucket").find((b) =>
      new RegExp(`^demo-${purpose}-[0-9a-f]{8}$`).test(String(b.inputs.bucket)),
    )?.inputs.bucket,
  );
const keyArn = (name: string) => findResource(resources, "aws:kms/key:Key", name).arn!;

describe("dump replication", () => {
  it("replicates each tier prefix of the dumps bucket and the whole vault, never delete markers, re-encrypted with the DR key, under RTC", () => {
    const drKey = keyArn("demo-keys-backups-dr");
    expect(drKey).toMatch(new RegExp(`^arn:aws:kms:${DR}:`));
    const rtc = {
      metrics: { status: "Enabled", eventThreshold: { minutes: 15 } },
      replicationTime: { status: "Enabled", time: { minutes: 15 } },
    };
    const rule = (id: string, priority: number, prefix: string, bucket: string, storageClass: string) => ({
      id,
      priority,
      status: "Enabled",
      filter: { prefix },
      deleteMarkerReplication: { status: "Disabled" },
      sourceSelectionCriteria: {
        sseKmsEncryptedObjects: { status: "Enabled" },
        replicaModifications: { status: "Disabled" },
      },
      destination: {
        bucket: `arn:aws:s3:::${bucket}`,
        storageClass,
        encryptionConfiguration: { replicaKmsKeyId: drKey },
        ...rtc,
      },
    });
    const bucket = findResource(
      resources,
      "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
      "demo-dumps-dr-bucket-replication",
    );
    expect(bucket.region).toBe(REGION);
    expect(bucket.inputs).toEqual({
      bucket: bucketName("dumps"),
      role: `arn:aws:iam::${ACCOUNT}:role/demo-dump-replication`,
      rules: [
        // Standard-IA's 30-day minimum is covered by a 30-day tier; a 14-day tier stays Standard; 7 years: Glacier IR.
        rule("dumps-daily", 1, "daily/", bucketName("dumps-dr"), "STANDARD_IA"),
        rule("dumps-weekly", 2, "weekly/", bucketName("dumps-dr"), "STANDARD"),
        rule("dumps-yearly", 3, "yearly/", bucketName("dumps-dr"), "GLACIER_IR"),
      ],
    });
    const vault = findResource(
      resources,
      "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
      "demo-dumps-dr-vault-replication",
    );
    expect(vault.inputs).toEqual({
      bucket: bucketName("dump-vault"),
      role: `arn:aws:iam::${ACCOUNT}:role/demo-dump-replication`,
      rules: [rule("vault", 1, "", bucketName("dump-vault-dr"), "GLACIER_IR")],
    });
  });

  it("turns Replication Time Control on only for a bound; metrics are on either way (the alarms' metrics need them)", () => {
    const [noBound] = replicationConfigRules(
      [{ id: "dumps-daily", prefix: "daily/", storageClass: "STANDARD", receivesDumps: true }],
      "arn:aws:s3:::dest",
      "key",
      undefined,
    );
    expect(noBound!.destination).toEqual({
      bucket: "arn:aws:s3:::dest",
      storageClass: "STANDARD",
      encryptionConfiguration: { replicaKmsKeyId: "key" },
      metrics: { status: "Enabled" },
    });
  });

  it("keeps the DR copies in retained buckets in the DR region under the DR key, the vault's copy under the same Object Lock", () => {
    const drKey = keyArn("demo-keys-backups-dr");
    for (const which of ["bucket", "vault"]) {
      const b = findResource(resources, "aws:s3/bucket:Bucket", `demo-dumps-dr-${which}-bucket`);
      expect(b.region).toBe(DR);
      expect(b.inputs).toMatchObject({ forceDestroy: false, objectLockEnabled: which === "vault" });
      expect(
        findResource(
          resources,
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          `demo-dumps-dr-${which}-encryption`,
        ).inputs,
      ).toEqual({
        bucket: b.inputs.bucket,
        region: DR,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: drKey },
            bucketKeyEnabled: true,
          },
        ],
      });
      expect(
        findResource(
          resources,
          "aws:s3/bucketVersioning:BucketVersioning",
          `demo-dumps-dr-${which}-versioning`,
        ).region,
      ).toBe(DR);
    }
    const lock = (name: string) =>
      findResource(resources, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", name)
        .inputs.rule;
    expect(lock("demo-dumps-dr-vault-object-lock")).toEqual({
      defaultRetention: { mode: "COMPLIANCE", days: 2557 },
    });
    expect(lock("demo-dumps-dr-vault-object-lock")).toEqual(lock("demo-dumps-vault-object-lock"));
  });

  it("expires a DR copy only on the replicated expire=true tag, rule for rule like the source, with no age-only rule", () => {
    const rules = (name: string) =>
      findResource(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", name).inputs
        .rules as { id: string; filter: unknown; expiration?: unknown; transitions?: unknown }[];
    const tagged = (tier: string, noncurrentDays: number) => ({
      id: `pg-${tier}`,
      status: "Enabled",
      filter: { and: { prefix: `${tier}/pg/`, tags: { expire: "true", tier } } },
      expiration: { days: 1 },
      noncurrentVersionExpiration: { noncurrentDays },
    });
    expect(rules("demo-dumps-dr-bucket-lifecycle")).toEqual(
      ["daily", "weekly", "yearly"].map((t) => tagged(t, 7)),
    );
    expect(rules("demo-dumps-dr-vault-lifecycle")).toEqual(
      ["daily", "weekly", "yearly"].map((t) => tagged(t, 1)),
    );
    // The source's expiring rules are the same rules (the source also has archive and staging rules).
    const source = rules("demo-dumps-bucket-lifecycle").filter((r) => r.expiration && r.id.startsWith("pg-"));
    expect(source).toEqual(rules("demo-dumps-dr-bucket-lifecycle"));
  });

  it("gives the replication role only the replicated prefixes to read, the DR buckets to write, and each key through S3 in its region", () => {
    const role = findResource(resources, "aws:iam/role:Role", "demo-dumps-dr-role");
    expect(json(role, "assumeRolePolicy").Statement).toEqual([
      {
        Sid: "AssumedOnlyByServiceForThisAccount",
        Effect: "Allow",
        Principal: { Service: "s3.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": ACCOUNT } },
      },
    ]);
    const [dumps, vault, drDumps, drVault] = ["dumps", "dump-vault", "dumps-dr", "dump-vault-dr"].map(
      (p) => `arn:aws:s3:::${bucketName(p)}`,
    );
    const tiers = ["daily", "weekly", "yearly"];
    expect(
      json(findResource(resources, "aws:iam/rolePolicy:RolePolicy", "demo-dumps-dr-policy"), "policy"),
    ).toEqual({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadReplicationConfiguration",
          Effect: "Allow",
          Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
          Resource: [dumps, vault],
        },
        {
          Sid: "ReadSourceVersions",
          Effect: "Allow",
          Action: [
            "s3:GetObjectVersionForReplication",
            "s3:GetObjectVersionAcl",
            "s3:GetObjectVersionTagging",
          ],
          Resource: [...tiers.map((t) => `${dumps}/${t}/*`), `${vault}/*`],
        },
        {
          Sid: "ReadSourceLocks",
          Effect: "Allow",
          Action: ["s3:GetObjectRetention", "s3:GetObjectLegalHold"],
          Resource: [`${vault}/*`],
        },
        {
          Sid: "WriteReplicas",
          Effect: "Allow",
          Action: ["s3:ReplicateObject", "s3:ReplicateTags"],
          Resource: [...tiers.map((t) => `${drDumps}/${t}/*`), `${drVault}/*`],
        },
        {
          Sid: "DecryptSources",
          Effect: "Allow",
          Action: "kms:Decrypt",
          Resource: keyArn("demo-keys-backups"),
          Condition: { StringEquals: { "kms:ViaService": `s3.${REGION}.amazonaws.com` } },
        },
        {
          Sid: "EncryptReplicas",
          Effect: "Allow",
          Action: ["kms:Encrypt", "kms:GenerateDataKey"],
          Resource: keyArn("demo-keys-backups-dr"),
          Condition: { StringEquals: { "kms:ViaService": `s3.${DR}.amazonaws.com` } },
        },
      ],
    });
  });

  it("alarms per rule on failed replication and on latency over the bound, and on the DR copy's age", () => {
    const alarm = (name: string) =>
      findResource(resources, "aws:cloudwatch/metricAlarm:MetricAlarm", `${name}-alarm`);
    const dims = {
      SourceBucket: bucketName("dump-vault"),
      DestinationBucket: bucketName("dump-vault-dr"),
      RuleId: "vault",
    };
    expect(alarm("demo-dumps-dr-vault-failed").region).toBe(REGION);
    expect(alarm("demo-dumps-dr-vault-failed").inputs).toMatchObject({
      namespace: "AWS/S3",
      metricName: "OperationsFailedReplication",
      dimensions: dims,
      statistic: "Sum",
      period: 300,
      threshold: 0,
      comparisonOperator: "GreaterThanThreshold",
      treatMissingData: "notBreaching",
      alarmDescription: expect.stringMatching(/^\[WARNING\] .*docs\/alarms\/dump-replication-failed\.md$/),
    });
    expect(alarm("demo-dumps-dr-vault-latency").inputs).toMatchObject({
      metricName: "ReplicationLatency",
      dimensions: dims,
      statistic: "Maximum",
      threshold: 15 * 60,
      comparisonOperator: "GreaterThanThreshold",
      alarmDescription: expect.stringMatching(/docs\/alarms\/dump-replication-latency\.md$/),
    });
    expect(
      ofType(resources, "aws:cloudwatch/metricAlarm:MetricAlarm")
        .filter((a) => a.inputs.namespace === "AWS/S3")
        .map((a) => `${(a.inputs.dimensions as { RuleId: string }).RuleId} ${a.inputs.metricName}`)
        .sort(),
    ).toEqual(
      // The yearly tier is locked: nothing new lands under dumps-yearly, whose rule only carries older dumps' tags.
      ["dumps-daily", "dumps-weekly", "vault"].flatMap((r) => [
        `${r} OperationsFailedReplication`,
        `${r} ReplicationLatency`,
      ]),
    );
    // RPO 26h plus the object's and then its tag's trip (2 x 15 min) and the next hourly verification: 28h.
    expect(alarm("demo-dumps-pg-dr-age").inputs).toMatchObject({
      namespace: "Maintenance/demo",
      metricName: "NewestDrDumpAgeSeconds",
      dimensions: { service: "dump-verify", Database: "pg" },
      threshold: 28 * 3600,
      treatMissingData: "breaching",
      alarmDescription: expect.stringMatching(/^\[WARNING\] .*docs\/alarms\/dump-dr-age\.md$/),
    });
  });

  it("tells the verify job where the DR copies are and lets it list them and read only their tags", () => {
    const fn = findResource(resources, "aws:lambda/function:Function", "demo-dumps-verify-fn");
    const config = JSON.parse(
      (fn.inputs.environment as { variables: Record<string, string> }).variables.JOB_CONFIG!,
    );
    expect(config.dr).toEqual({ region: DR, buckets: [bucketName("dumps-dr"), bucketName("dump-vault-dr")] });
    const policy = json(
      findResource(resources, "aws:iam/rolePolicy:RolePolicy", "demo-dumps-verify-role-policy"),
      "policy",
    );
    const dr = [bucketName("dumps-dr"), bucketName("dump-vault-dr")].map((b) => `arn:aws:s3:::${b}`);
    expect(policy.Statement.filter((s: { Sid: string }) => s.Sid.includes("Dr"))).toEqual([
      { Sid: "ListDrCopies", Effect: "Allow", Action: ["s3:ListBucket"], Resource: dr },
      {
        Sid: "ReadDrCopyTags",
        Effect: "Allow",
        Action: ["s3:GetObjectTagging"],
        Resource: dr.flatMap((b) => ["daily", "weekly", "yearly"].map((t) => `${b}/${t}/pg/*`)),
      },
    ]);
  });

  it("is on by default only in a prod stack with a DR region, and off when the stack says so", () => {
    const keys = { drBackupsKeyArn: "dr-key" } as never;
    const config = (dumpReplication?: unknown) => ({ dumpReplication }) as never;
    const on = (c: never, protect: boolean, drRegion?: string) =>
      dumpReplicationOf(c, { protect, keys, ...(drRegion ? { drRegion } : {}) });
    expect(on(config(), true, DR)).toEqual({ drRegion: DR, drKmsKeyArn: "dr-key" });
    expect(on(config({ maxLatencyMinutes: 30 }), true, DR)).toEqual({
      drRegion: DR,
      drKmsKeyArn: "dr-key",
      maxLatencyMinutes: 30,
    });
    expect(on(config({ enabled: false }), true, DR)).toBeUndefined();
    expect(on(config(), false, DR)).toBeUndefined();
    expect(on(config({ enabled: true }), true)).toBeUndefined();
  });

  it("replicates nothing without a DR region, nor by default outside prod", async () => {
    const none = (rs: RecordedResource[]) => ({
      configs: ofType(rs, "aws:s3/bucketReplicationConfig:BucketReplicationConfig").length,
      drBuckets: ofType(rs, "aws:s3/bucket:Bucket").filter((b) => b.region !== REGION).length,
      verifyDr: JSON.parse(
        (
          findResource(rs, "aws:lambda/function:Function", "demo-dumps-verify-fn").inputs.environment as {
            variables: Record<string, string>;
          }
        ).variables.JOB_CONFIG!,
      ).dr,
    });
    expect(none(await record(sections(undefined, undefined)))).toEqual({
      configs: 0,
      drBuckets: 0,
      verifyDr: undefined,
    });
    expect(none(await record(sections(undefined)))).toEqual({
      configs: 0,
      drBuckets: 0,
      verifyDr: undefined,
    });
  });
});
