// An in-memory AWS for the contract runs: one stub on the SDK's shared Client.prototype.send answers S3, CloudWatch
// Logs, RDS, Secrets Manager and SSM statefully, and records every command a job's real code sends.
import { Readable } from "node:stream";
import { FakeSecretsManager } from "../support/fake-secrets-manager";

/** One command as the job's code sent it: the client's service and region, the command name and its input. */
export interface SentCommand {
  readonly service: string;
  readonly region: string;
  readonly command: string;
  readonly input: Record<string, unknown>;
  /** The error AWS answered with (its name), when it did. */
  error?: string;
  /** Tags of the object or snapshot the command acts on, as they were when it was sent (tag condition keys). */
  existingTags?: { Key: string; Value: string }[];
}

interface StoredObject {
  body: Buffer;
  metadata: Record<string, string>;
  tags: { Key: string; Value: string }[];
  lastModified: Date;
}

interface Upload {
  bucket: string;
  key: string;
  parts: Map<number, Buffer>;
  metadata: Record<string, string>;
  tags: { Key: string; Value: string }[];
}

export interface LogGroupState {
  readonly name: string;
  retentionInDays?: number;
  readonly creationTime: number;
}

interface ExportTask {
  taskId: string;
  taskName: string;
  logGroupName: string;
  from: number;
  to: number;
  destination: string;
  destinationPrefix: string;
  status: { code: string };
}

export interface RdsSnapshotState {
  readonly id: string;
  readonly instance: string;
  readonly region: string;
  readonly createdAt: Date;
  readonly tags: { Key: string; Value: string }[];
  readonly cluster: boolean;
  readonly kmsKeyId: string;
}

/** One rule of a planned S3 replication configuration, as the world applies it. */
export interface WorldReplicationRule {
  readonly ruleId: string;
  readonly roleArn: string;
  readonly sourceBucket: string;
  readonly sourceRegion: string;
  readonly prefix: string;
  readonly destinationBucket: string;
  readonly destinationRegion: string;
  readonly replicaKmsKeyId: string;
}

/** What S3 Replication did: a new object or a source's later tag change carried to the replica. */
export interface Replicated {
  readonly rule: WorldReplicationRule;
  readonly key: string;
  readonly what: "object" | "tags";
  readonly tags: number;
}

/** The state every fake shares; scenarios seed it, then read what the job left. */
export class AwsWorld {
  readonly sent: SentCommand[] = [];
  readonly objects = new Map<string, StoredObject>();
  readonly logGroups: LogGroupState[] = [];
  readonly exportTasks: ExportTask[] = [];
  readonly snapshots: RdsSnapshotState[] = [];
  readonly parameters = new Map<string, string>();
  /** Secrets with versions and staging labels, as rotation needs them. */
  readonly secrets: FakeSecretsManager;
  /** The plan's replication rules (job-runs.ts loads them); every write or tag change under one is replicated. */
  readonly replicationRules: WorldReplicationRule[] = [];
  readonly replicated: Replicated[] = [];
  private readonly uploads = new Map<string, Upload>();
  private ids = 0;

  constructor(
    readonly account: string,
    readonly now: () => Date,
  ) {
    this.secrets = new FakeSecretsManager(now);
  }

  /** A secret whose AWSCURRENT value is `value` (created, or given a new current version). */
  setSecret(arn: string, value: string): void {
    if (!this.secrets.has(arn)) this.secrets.create(arn, value);
    else this.secrets.answer("PutSecretValue", { SecretId: arn, SecretString: value });
  }

  putObject(
    bucket: string,
    key: string,
    body: Buffer,
    metadata: Record<string, string>,
    tags: StoredObject["tags"],
  ) {
    this.objects.set(`${bucket}/${key}`, { body, metadata, tags, lastModified: this.now() });
    this.replicate(bucket, key, "object");
  }

  /**
   * S3 Replication as the plan configures it, at once: the first rule (by priority) whose prefix holds the key copies
   * the object, or a later change of its tags ("By default, Amazon S3 replicates metadata from the source objects to
   * the replicas": https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-for-metadata-changes.html).
   * Deletes are not replicated (delete marker replication is off).
   */
  private replicate(bucket: string, key: string, what: Replicated["what"]): void {
    const rule = this.replicationRules.find((r) => r.sourceBucket === bucket && key.startsWith(r.prefix));
    const source = this.object(bucket, key);
    if (!rule || !source) return;
    const replica = this.object(rule.destinationBucket, key);
    const tags = source.tags.map((t) => ({ ...t }));
    if (what === "tags" && replica) replica.tags = tags;
    else
      this.objects.set(`${rule.destinationBucket}/${key}`, {
        body: source.body,
        metadata: { ...source.metadata },
        tags,
        lastModified: this.now(),
      });
    this.replicated.push({ rule, key, what, tags: tags.length });
  }

  object(bucket: string, key: string): StoredObject | undefined {
    return this.objects.get(`${bucket}/${key}`);
  }

  /** Answers one command; `errors` builds the SDK's own exception classes (the code under test checks them). */
  async answer(c: SentCommand, errors: SdkErrors): Promise<unknown> {
    const i = c.input as Record<string, any>;
    if (c.service === "S3" && i.Bucket && i.Key)
      c.existingTags = this.object(i.Bucket, i.Key)?.tags.map((t) => ({ ...t }));
    const snapshotId = i.DBSnapshotIdentifier ?? i.DBClusterSnapshotIdentifier;
    if (c.service === "RDS" && snapshotId)
      c.existingTags = this.snapshots
        .find((s) => s.region === c.region && s.id === snapshotId)
        ?.tags.map((t) => ({ ...t }));
    switch (`${c.service}:${c.command}`) {
      // ---- S3
      case "S3:HeadObject": {
        const o = this.object(i.Bucket, i.Key);
        if (!o) throw errors.s3NotFound();
        return { ContentLength: o.body.length, Metadata: o.metadata, LastModified: o.lastModified };
      }
      case "S3:GetObject": {
        const o = this.object(i.Bucket, i.Key);
        if (!o) throw errors.s3NoSuchKey();
        return {
          Body: errors.stream(Readable.from([o.body])),
          ContentLength: o.body.length,
          Metadata: o.metadata,
        };
      }
      case "S3:PutObject": {
        this.putObject(i.Bucket, i.Key, await collect(i.Body), i.Metadata ?? {}, parseTagging(i.Tagging));
        return { ETag: '"put"' };
      }
      case "S3:CreateMultipartUpload": {
        const id = `upload-${++this.ids}`;
        this.uploads.set(id, {
          bucket: i.Bucket,
          key: i.Key,
          parts: new Map(),
          metadata: i.Metadata ?? {},
          tags: parseTagging(i.Tagging),
        });
        return { UploadId: id, Bucket: i.Bucket, Key: i.Key };
      }
      case "S3:UploadPart": {
        const u = this.uploads.get(i.UploadId);
        if (!u) throw new Error(`no upload ${i.UploadId}`);
        u.parts.set(i.PartNumber, await collect(i.Body));
        return { ETag: `"part-${i.PartNumber}"` };
      }
      case "S3:UploadPartCopy": {
        const u = this.uploads.get(i.UploadId);
        const src = this.copySource(i.CopySource);
        if (!u || !src) throw errors.s3NoSuchKey();
        const [, a, b] = /bytes=(\d+)-(\d+)/.exec(i.CopySourceRange ?? "") ?? [];
        u.parts.set(i.PartNumber, a ? src.body.subarray(+a, +b! + 1) : src.body);
        return { CopyPartResult: { ETag: `"copy-${i.PartNumber}"` } };
      }
      case "S3:CompleteMultipartUpload": {
        const u = this.uploads.get(i.UploadId);
        if (!u) throw new Error(`no upload ${i.UploadId}`);
        if (i.IfNoneMatch === "*" && this.object(u.bucket, u.key)) throw errors.s3PreconditionFailed();
        const parts = [...u.parts.entries()].sort(([x], [y]) => x - y).map(([, b]) => b);
        this.putObject(u.bucket, u.key, Buffer.concat(parts), u.metadata, u.tags);
        this.uploads.delete(i.UploadId);
        return { Bucket: u.bucket, Key: u.key, ETag: '"complete"' };
      }
      case "S3:AbortMultipartUpload":
        this.uploads.delete(i.UploadId);
        return {};
      case "S3:CopyObject": {
        const src = this.copySource(i.CopySource);
        if (!src) throw errors.s3NoSuchKey();
        if (i.IfNoneMatch === "*" && this.object(i.Bucket, i.Key)) throw errors.s3PreconditionFailed();
        this.putObject(
          i.Bucket,
          i.Key,
          src.body,
          i.MetadataDirective === "REPLACE" ? (i.Metadata ?? {}) : src.metadata,
          i.TaggingDirective === "REPLACE" ? parseTagging(i.Tagging) : src.tags,
        );
        return { CopyObjectResult: { ETag: '"copy"' } };
      }
      case "S3:DeleteObject":
        this.objects.delete(`${i.Bucket}/${i.Key}`);
        return {};
      case "S3:ListObjectsV2": {
        const prefix = `${i.Bucket}/${i.Prefix ?? ""}`;
        const keys = [...this.objects.keys()]
          .filter((k) => k.startsWith(prefix))
          .sort()
          .map((k) => k.slice(i.Bucket.length + 1))
          .filter((k) => i.StartAfter === undefined || k > i.StartAfter);
        const start = i.ContinuationToken ? Number(i.ContinuationToken) : 0;
        const max = i.MaxKeys ?? 1000;
        const page = keys.slice(start, start + max);
        const more = start + max < keys.length;
        return {
          Contents: page.map((Key) => ({
            Key,
            Size: this.object(i.Bucket, Key)!.body.length,
            LastModified: this.object(i.Bucket, Key)!.lastModified,
          })),
          KeyCount: page.length,
          IsTruncated: more,
          ...(more ? { NextContinuationToken: String(start + max) } : {}),
        };
      }
      case "S3:GetObjectTagging": {
        const o = this.object(i.Bucket, i.Key);
        if (!o) throw errors.s3NoSuchKey();
        return { TagSet: o.tags.map((t) => ({ ...t })) };
      }
      case "S3:PutObjectTagging": {
        const o = this.object(i.Bucket, i.Key);
        if (!o) throw errors.s3NoSuchKey();
        o.tags = (i.Tagging?.TagSet ?? []).map((t: { Key: string; Value: string }) => ({ ...t }));
        this.replicate(i.Bucket, i.Key, "tags");
        return {};
      }
      // ---- CloudWatch Logs
      case "CloudWatch Logs:DescribeLogGroups": {
        const groups = this.logGroups.filter(
          (g) => !i.logGroupNamePrefix || g.name.startsWith(i.logGroupNamePrefix),
        );
        return {
          logGroups: groups.map((g) => ({
            logGroupName: g.name,
            creationTime: g.creationTime,
            ...(g.retentionInDays ? { retentionInDays: g.retentionInDays } : {}),
            arn: `arn:aws:logs:${c.region}:${this.account}:log-group:${g.name}:*`,
          })),
        };
      }
      case "CloudWatch Logs:PutRetentionPolicy": {
        const g = this.logGroups.find((x) => x.name === i.logGroupName);
        if (g) g.retentionInDays = i.retentionInDays;
        return {};
      }
      case "CloudWatch Logs:CreateExportTask": {
        const task: ExportTask = {
          taskId: `task-${++this.ids}`,
          taskName: i.taskName ?? "",
          logGroupName: i.logGroupName,
          from: i.from,
          to: i.to,
          destination: i.destination,
          destinationPrefix: i.destinationPrefix ?? "exportedlogs",
          status: { code: "RUNNING" },
        };
        this.exportTasks.push(task);
        return { taskId: task.taskId };
      }
      case "CloudWatch Logs:DescribeExportTasks": {
        // Each describe completes what is running, and the Logs service writes the export (not the caller).
        for (const t of this.exportTasks.filter((x) => x.status.code === "RUNNING")) {
          t.status = { code: "COMPLETED" };
          this.putObject(
            t.destination,
            `${t.destinationPrefix}/${t.taskId}/aws-logs-write-test`,
            Buffer.from(""),
            {},
            [],
          );
        }
        const tasks = this.exportTasks.filter((t) => !i.taskId || t.taskId === i.taskId);
        return {
          exportTasks: tasks.map((t) => ({
            taskId: t.taskId,
            taskName: t.taskName,
            logGroupName: t.logGroupName,
            from: t.from,
            to: t.to,
            destination: t.destination,
            destinationPrefix: t.destinationPrefix,
            status: t.status,
          })),
        };
      }
      // ---- Secrets Manager and SSM
      case "Secrets Manager:GetSecretValue":
      case "Secrets Manager:DescribeSecret":
      case "Secrets Manager:ListSecretVersionIds":
      case "Secrets Manager:PutSecretValue":
      case "Secrets Manager:UpdateSecretVersionStage":
        return this.secrets.answer(c.command, i);
      case "SSM:GetParameter": {
        const v = this.parameters.get(i.Name);
        if (v === undefined) throw errors.ssmParameterNotFound();
        return { Parameter: { Name: i.Name, Value: v } };
      }
      case "SSM:PutParameter":
        this.parameters.set(i.Name, i.Value);
        return { Version: 1 };
      default:
        return this.answerRds(c, i);
    }
  }

  private answerRds(c: SentCommand, i: Record<string, any>): unknown {
    const arn = (s: RdsSnapshotState) =>
      `arn:aws:rds:${s.region}:${this.account}:${s.cluster ? "cluster-snapshot" : "snapshot"}:${s.id}`;
    const inRegion = (cluster: boolean) =>
      this.snapshots.filter((s) => s.region === c.region && s.cluster === cluster);
    const describe = (s: RdsSnapshotState) => ({
      DBSnapshotIdentifier: s.id,
      DBClusterSnapshotIdentifier: s.id,
      DBInstanceIdentifier: s.instance,
      DBClusterIdentifier: s.instance,
      DBSnapshotArn: arn(s),
      DBClusterSnapshotArn: arn(s),
      SnapshotCreateTime: s.createdAt,
      Status: "available",
      SnapshotType: "manual",
      Encrypted: true,
      StorageEncrypted: true,
      KmsKeyId: s.kmsKeyId,
      TagList: s.tags,
    });
    const create = (
      cluster: boolean,
      id: string,
      instance: string,
      tags: RdsSnapshotState["tags"],
      kms: string,
    ) => {
      if (this.snapshots.some((s) => s.region === c.region && s.id === id)) {
        throw Object.assign(new Error(`snapshot ${id} already exists`), {
          name: cluster ? "DBClusterSnapshotAlreadyExistsFault" : "DBSnapshotAlreadyExistsFault",
        });
      }
      const s: RdsSnapshotState = {
        id,
        instance,
        region: c.region,
        createdAt: this.now(),
        tags,
        cluster,
        kmsKeyId: kms,
      };
      this.snapshots.push(s);
      return describe(s);
    };
    switch (`${c.service}:${c.command}`) {
      case "RDS:CreateDBSnapshot":
        return {
          DBSnapshot: create(
            false,
            i.DBSnapshotIdentifier,
            i.DBInstanceIdentifier,
            i.Tags ?? [],
            "primary-key",
          ),
        };
      case "RDS:CreateDBClusterSnapshot":
        return {
          DBClusterSnapshot: create(
            true,
            i.DBClusterSnapshotIdentifier,
            i.DBClusterIdentifier,
            i.Tags ?? [],
            "primary-key",
          ),
        };
      case "RDS:CopyDBSnapshot":
      case "RDS:CopyDBClusterSnapshot": {
        const cluster = c.command === "CopyDBClusterSnapshot";
        const src = String(cluster ? i.SourceDBClusterSnapshotIdentifier : i.SourceDBSnapshotIdentifier);
        const source = this.snapshots.find((s) => arn(s) === src || s.id === src);
        if (!source) throw new Error(`no source snapshot ${src}`);
        const id = cluster ? i.TargetDBClusterSnapshotIdentifier : i.TargetDBSnapshotIdentifier;
        const tags = i.CopyTags ? source.tags : (i.Tags ?? []);
        const out = create(cluster, id, source.instance, tags, i.KmsKeyId ?? source.kmsKeyId);
        return cluster ? { DBClusterSnapshot: out } : { DBSnapshot: out };
      }
      case "RDS:DescribeDBSnapshots":
        return {
          DBSnapshots: inRegion(false)
            .filter(
              (s) =>
                (!i.DBInstanceIdentifier || s.instance === i.DBInstanceIdentifier) &&
                (!i.DBSnapshotIdentifier || s.id === i.DBSnapshotIdentifier),
            )
            .map(describe),
        };
      case "RDS:DescribeDBClusterSnapshots":
        return {
          DBClusterSnapshots: inRegion(true)
            .filter(
              (s) =>
                (!i.DBClusterIdentifier || s.instance === i.DBClusterIdentifier) &&
                (!i.DBClusterSnapshotIdentifier || s.id === i.DBClusterSnapshotIdentifier),
            )
            .map(describe),
        };
      case "RDS:DescribeDBSnapshotAttributes":
        return {
          DBSnapshotAttributesResult: {
            DBSnapshotIdentifier: i.DBSnapshotIdentifier,
            DBSnapshotAttributes: [{ AttributeName: "restore", AttributeValues: [] }],
          },
        };
      case "RDS:DescribeDBClusterSnapshotAttributes":
        return {
          DBClusterSnapshotAttributesResult: {
            DBClusterSnapshotIdentifier: i.DBClusterSnapshotIdentifier,
            DBClusterSnapshotAttributes: [{ AttributeName: "restore", AttributeValues: [] }],
          },
        };
      case "RDS:DeleteDBSnapshot":
      case "RDS:DeleteDBClusterSnapshot": {
        const id = i.DBSnapshotIdentifier ?? i.DBClusterSnapshotIdentifier;
        const at = this.snapshots.findIndex((s) => s.region === c.region && s.id === id);
        if (at >= 0) this.snapshots.splice(at, 1);
        return {};
      }
      default:
        throw new Error(
          `the contract's AWS stand-in does not answer ${c.service} ${c.command}: add it to test/contracts/aws-world.ts`,
        );
    }
  }

  private copySource(source: string): StoredObject | undefined {
    const decoded = decodeURIComponent(source.replace(/^\//, ""));
    const slash = decoded.indexOf("/");
    return this.object(decoded.slice(0, slash), decoded.slice(slash + 1));
  }
}

/** The SDK's exception classes and stream mixin, taken from the same module registry as the job's code. */
export interface SdkErrors {
  s3NotFound(): Error;
  s3NoSuchKey(): Error;
  s3PreconditionFailed(): Error;
  ssmParameterNotFound(): Error;
  stream(r: Readable): unknown;
}

function parseTagging(tagging: unknown): StoredObject["tags"] {
  if (typeof tagging !== "string" || tagging === "") return [];
  return [...new URLSearchParams(tagging).entries()].map(([Key, Value]) => ({ Key, Value }));
}

async function collect(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === "string") return Buffer.from(body);
  if (Buffer.isBuffer(body)) return body;
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
