// The permission contract: each SDK command a job sent becomes the IAM requests AWS would authorize (with the
// implicit KMS calls of SSE-KMS buckets and queues), evaluated by @cloud-copilot/iam-simulate against the role's
// identity policies, the resource policy and the key policy, exactly as recorded in the stack's plan.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { RecordedStack } from "../../scripts/lib/record-stack";
import type { RecordedResource } from "../support/pulumi-mocks";
import type { AwsWorld, SentCommand } from "./aws-world";
import type { JobRun } from "./job-runs";

export const ACCOUNT = "123456789012";

/** A policy document as the plan holds it. */
export type Doc = {
  Version: string;
  Statement: { Sid?: string; Effect: string; Action: string | string[]; Resource?: string | string[] }[];
};

/** One request AWS authorizes, and why it is made (the command, or the platform acting for the job). */
export interface IamRequest {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
  readonly because: string;
}

export interface Denial {
  readonly request: IamRequest;
  readonly result: string;
  readonly deniedBy: string;
}

/** What the plan declares that a request is evaluated against. */
export class StackPolicies {
  constructor(private readonly rec: RecordedStack) {}

  private of(type: string): RecordedResource[] {
    return this.rec.resources.filter((r) => r.type === type);
  }

  /** Inline policies of a role (by ARN), with the resource that declares each. */
  identityPolicies(roleArn: string): { name: string; policy: Doc }[] {
    const roleName = roleArn.split("/").pop();
    return this.of("aws:iam/rolePolicy:RolePolicy")
      .filter((p) => p.inputs.role === roleName)
      .map((p) => ({ name: `role policy ${p.name}`, policy: JSON.parse(String(p.inputs.policy)) as Doc }));
  }

  /** Managed policies attached to a role (AWS managed ones are not ours to prove least privilege of). */
  attachedPolicyArns(roleArn: string): string[] {
    const roleName = roleArn.split("/").pop();
    return this.of("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
      .filter((p) => p.inputs.role === roleName)
      .map((p) => String(p.inputs.policyArn));
  }

  bucketPolicy(bucket: string): { name: string; policy: Doc } | undefined {
    const p = this.of("aws:s3/bucketPolicy:BucketPolicy").find((b) => b.inputs.bucket === bucket);
    return p && { name: `bucket policy ${p.name}`, policy: JSON.parse(String(p.inputs.policy)) as Doc };
  }

  queuePolicy(queueArn: string): { name: string; policy: Doc } | undefined {
    const [, , , region, account, name] = queueArn.split(":");
    const url = `https://sqs.${region}.amazonaws.com/${account}/${name}`;
    const p = this.of("aws:sqs/queuePolicy:QueuePolicy").find((q) => q.inputs.queueUrl === url);
    return p && { name: `queue policy ${p.name}`, policy: JSON.parse(String(p.inputs.policy)) as Doc };
  }

  keyPolicy(keyArn: string): { name: string; policy: Doc } | undefined {
    const k = this.of("aws:kms/key:Key").find((r) => r.arn === keyArn);
    return k && { name: `key policy ${k.name}`, policy: JSON.parse(String(k.inputs.policy)) as Doc };
  }

  /** The bucket's default encryption: the key S3 uses when a put names none, and whether S3 Bucket Keys are on. */
  bucketEncryption(bucket: string): { keyArn: string; bucketKey: boolean } | undefined {
    const e = this.of(
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    ).find((r) => r.inputs.bucket === bucket);
    const rule = (
      e?.inputs.rules as
        | { applyServerSideEncryptionByDefault?: { kmsMasterKeyId?: string }; bucketKeyEnabled?: boolean }[]
        | undefined
    )?.[0];
    const keyArn = rule?.applyServerSideEncryptionByDefault?.kmsMasterKeyId;
    return keyArn ? { keyArn, bucketKey: rule?.bucketKeyEnabled === true } : undefined;
  }

  /** The KMS key of an SSE-KMS queue. */
  queueKey(queueArn: string): string | undefined {
    const name = queueArn.split(":").pop();
    const q = this.of("aws:sqs/queue:Queue").find((r) => r.inputs.name === name);
    return q?.inputs.kmsMasterKeyId as string | undefined;
  }

  topicPolicy(topicArn: string): { name: string; policy: Doc } | undefined {
    const p = this.of("aws:sns/topicPolicy:TopicPolicy").find((t) => t.inputs.arn === topicArn);
    return p && { name: `topic policy ${p.name}`, policy: JSON.parse(String(p.inputs.policy)) as Doc };
  }

  /** Every role the plan declares (jobs, schedulers, Firehose, subscriptions). */
  roleArns(): string[] {
    return this.of("aws:iam/role:Role").map((r) => `arn:aws:iam::${ACCOUNT}:role/${r.inputs.name}`);
  }

  repositoryPolicy(repositoryArn: string): { name: string; policy: Doc } | undefined {
    const name = repositoryArn.split("repository/")[1];
    const p = this.of("aws:ecr/repositoryPolicy:RepositoryPolicy").find((r) => r.inputs.repository === name);
    return p && { name: `repository policy ${p.name}`, policy: JSON.parse(String(p.inputs.policy)) as Doc };
  }

  secretPolicy(secretArn: string): { name: string; policy: Doc } | undefined {
    const p = this.of("aws:secretsmanager/secretPolicy:SecretPolicy").find(
      (s) => s.inputs.secretArn === secretArn,
    );
    return p && { name: `secret policy ${p.name}`, policy: JSON.parse(String(p.inputs.policy)) as Doc };
  }

  /** The customer-managed key of a secret the stack created (a secret from outside is under aws/secretsmanager here). */
  secretKey(secretArn: string): string | undefined {
    const s = this.of("aws:secretsmanager/secret:Secret").find((r) => r.arn === secretArn);
    return s?.inputs.kmsKeyId as string | undefined;
  }

  resourcePolicyFor(resource: string): { name: string; policy: Doc } | undefined {
    if (resource.startsWith("arn:aws:secretsmanager:")) return this.secretPolicy(resource);
    if (resource.startsWith("arn:aws:ecr:")) return this.repositoryPolicy(resource);
    if (resource.startsWith("arn:aws:sns:")) return this.topicPolicy(resource);
    if (resource.startsWith("arn:aws:s3:::")) return this.bucketPolicy(resource.slice(13).split("/")[0]!);
    if (resource.startsWith("arn:aws:kms:")) return this.keyPolicy(resource);
    if (resource.startsWith("arn:aws:sqs:")) return this.queuePolicy(resource);
    return undefined;
  }
}

const s3Object = (bucket: string, key: string) => `arn:aws:s3:::${bucket}/${key}`;

function tagContext(tagging: unknown): Record<string, string | string[]> {
  if (typeof tagging !== "string" || tagging === "") return {};
  const tags = [...new URLSearchParams(tagging).entries()];
  return {
    "s3:RequestObjectTagKeys": tags.map(([k]) => k),
    ...Object.fromEntries(tags.map(([k, v]) => [`s3:RequestObjectTag/${k}`, v])),
  };
}

/** The KMS requests S3 makes with the caller's credentials for an SSE-KMS object (encryption context per the docs). */
export function s3Kms(
  policies: StackPolicies,
  principal: string,
  region: string,
  bucket: string,
  key: string,
  actions: string[],
  explicitKey: string | undefined,
  because: string,
): IamRequest[] {
  const enc = policies.bucketEncryption(bucket);
  const keyArn = explicitKey ?? enc?.keyArn;
  if (!keyArn) return [];
  // With S3 Bucket Keys the context is the bucket ARN: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
  const arn = enc?.bucketKey ? `arn:aws:s3:::${bucket}` : s3Object(bucket, key);
  return actions.map((action) => ({
    principal,
    action,
    resource: keyArn,
    context: {
      "kms:ViaService": `s3.${region}.amazonaws.com`,
      "kms:CallerAccount": ACCOUNT,
      "kms:EncryptionContext:aws:s3:arn": arn,
    },
    because: `${because} (S3 calls KMS for the caller)`,
  }));
}

function copySource(source: string): { bucket: string; key: string } {
  const decoded = decodeURIComponent(source.replace(/^\//, ""));
  const slash = decoded.indexOf("/");
  return { bucket: decoded.slice(0, slash), key: decoded.slice(slash + 1) };
}

/** The IAM requests one SDK command makes. Every command a job sends must be known here, or the contract fails. */
export function requestsFor(
  c: SentCommand,
  principal: string,
  policies: StackPolicies,
  world: AwsWorld,
): IamRequest[] {
  const i = c.input as Record<string, any>;
  const because = `${c.service} ${c.command}`;
  const req = (
    action: string,
    resource: string,
    context: Record<string, string | string[]> = {},
  ): IamRequest => ({
    principal,
    action,
    resource,
    // aws:RequestedRegion and aws:SecureTransport are on every signed request the SDK makes; aws:PrincipalArn is the
    // role's ARN for a role session (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
    context: {
      "aws:SecureTransport": "true",
      "aws:RequestedRegion": c.region,
      "aws:PrincipalArn": principal,
      ...context,
    },
    because,
  });
  // Tags as they were when the command was sent (a later command may have changed or deleted the object).
  const existingTags = (bucket: string, key: string) =>
    Object.fromEntries(
      ((bucket === i.Bucket && key === i.Key ? c.existingTags : world.object(bucket, key)?.tags) ?? []).map(
        (t) => [`s3:ExistingObjectTag/${t.Key}`, t.Value],
      ),
    );
  const sse = (input: Record<string, any>) => ({
    ...(input.ServerSideEncryption ? { "s3:x-amz-server-side-encryption": input.ServerSideEncryption } : {}),
    ...(input.SSEKMSKeyId ? { "s3:x-amz-server-side-encryption-aws-kms-key-id": input.SSEKMSKeyId } : {}),
  });
  /** A write of an object: s3:PutObject with the headers it carries, PutObjectTagging for tags, and S3's KMS calls. */
  const write = (
    bucket: string,
    key: string,
    input: Record<string, any>,
    tagging: unknown,
    kms: string[],
  ) => [
    req("s3:PutObject", s3Object(bucket, key), { ...sse(input), ...tagContext(tagging) }),
    // Tags on a write need s3:PutObjectTagging too: https://docs.aws.amazon.com/AmazonS3/latest/userguide/tagging-managing.html
    ...(tagging ? [req("s3:PutObjectTagging", s3Object(bucket, key), tagContext(tagging))] : []),
    ...s3Kms(policies, principal, c.region, bucket, key, kms, input.SSEKMSKeyId, because),
  ];
  const rds = (type: string, id: string, region = c.region) =>
    `arn:aws:rds:${region}:${ACCOUNT}:${type}:${id}`;
  const snapshotTags = (_id: string, kind = "snapshot") =>
    Object.fromEntries((c.existingTags ?? []).map((t) => [`rds:${kind}-tag/${t.Key}`, t.Value]));
  switch (`${c.service}:${c.command}`) {
    case "S3:HeadObject":
      return [
        req("s3:GetObject", s3Object(i.Bucket, i.Key), existingTags(i.Bucket, i.Key)),
        // S3 answers 404 for a missing key only to a caller that may list the bucket (403 otherwise):
        // https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html
        ...(c.error ? [req("s3:ListBucket", `arn:aws:s3:::${i.Bucket}`, { "s3:prefix": i.Key })] : []),
      ];
    case "S3:GetObject":
      return [
        req("s3:GetObject", s3Object(i.Bucket, i.Key), existingTags(i.Bucket, i.Key)),
        ...(c.error ? [req("s3:ListBucket", `arn:aws:s3:::${i.Bucket}`, { "s3:prefix": i.Key })] : []),
        ...(c.error
          ? []
          : s3Kms(policies, principal, c.region, i.Bucket, i.Key, ["kms:Decrypt"], undefined, because)),
      ];
    case "S3:PutObject":
      return write(i.Bucket, i.Key, i, i.Tagging, ["kms:GenerateDataKey"]);
    case "S3:CreateMultipartUpload":
      // A multipart upload needs Decrypt as well: https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions
      return write(i.Bucket, i.Key, i, i.Tagging, ["kms:GenerateDataKey", "kms:Decrypt"]);
    case "S3:UploadPart":
    case "S3:CompleteMultipartUpload":
      return [req("s3:PutObject", s3Object(i.Bucket, i.Key))];
    case "S3:UploadPartCopy": {
      const src = copySource(i.CopySource);
      return [
        req("s3:PutObject", s3Object(i.Bucket, i.Key)),
        req("s3:GetObject", s3Object(src.bucket, src.key), existingTags(src.bucket, src.key)),
        ...s3Kms(policies, principal, c.region, src.bucket, src.key, ["kms:Decrypt"], undefined, because),
      ];
    }
    case "S3:CopyObject": {
      const src = copySource(i.CopySource);
      const tagging = i.TaggingDirective === "REPLACE" ? i.Tagging : undefined;
      return [
        req("s3:GetObject", s3Object(src.bucket, src.key), existingTags(src.bucket, src.key)),
        ...(i.TaggingDirective !== "REPLACE"
          ? [req("s3:GetObjectTagging", s3Object(src.bucket, src.key))]
          : []),
        ...s3Kms(policies, principal, c.region, src.bucket, src.key, ["kms:Decrypt"], undefined, because),
        ...write(i.Bucket, i.Key, i, tagging, ["kms:GenerateDataKey"]),
      ];
    }
    case "S3:DeleteObject":
      return [req("s3:DeleteObject", s3Object(i.Bucket, i.Key))];
    case "S3:AbortMultipartUpload":
      return [req("s3:AbortMultipartUpload", s3Object(i.Bucket, i.Key))];
    case "S3:ListObjectsV2":
      return [req("s3:ListBucket", `arn:aws:s3:::${i.Bucket}`, i.Prefix ? { "s3:prefix": i.Prefix } : {})];
    case "S3:GetObjectTagging":
      return [req("s3:GetObjectTagging", s3Object(i.Bucket, i.Key), existingTags(i.Bucket, i.Key))];
    case "S3:PutObjectTagging": {
      const tags = (i.Tagging?.TagSet ?? []) as { Key: string; Value: string }[];
      return [
        req("s3:PutObjectTagging", s3Object(i.Bucket, i.Key), {
          ...existingTags(i.Bucket, i.Key),
          "s3:RequestObjectTagKeys": tags.map((t) => t.Key),
          ...Object.fromEntries(tags.map((t) => [`s3:RequestObjectTag/${t.Key}`, t.Value])),
        }),
      ];
    }
    case "CloudWatch Logs:DescribeLogGroups":
      // DescribeLogGroups has no resource-level permissions: it is authorized on "*".
      return [req("logs:DescribeLogGroups", "*")];
    case "CloudWatch Logs:PutRetentionPolicy":
      return [
        req("logs:PutRetentionPolicy", `arn:aws:logs:${c.region}:${ACCOUNT}:log-group:${i.logGroupName}`),
      ];
    case "CloudWatch Logs:DescribeExportTasks":
      return [req("logs:DescribeExportTasks", "*", { "aws:RequestedRegion": c.region })];
    case "CloudWatch Logs:CreateExportTask":
      return [
        req("logs:CreateExportTask", `arn:aws:logs:${c.region}:${ACCOUNT}:log-group:${i.logGroupName}`),
        // "you must use credentials that have permission to write to the S3 bucket":
        // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateExportTask.html
        req("s3:PutObject", s3Object(i.destination, `${i.destinationPrefix}/aws-logs-write-test`)),
      ];
    case "Secrets Manager:GetSecretValue":
    case "Secrets Manager:PutSecretValue": {
      // A secret under a customer-managed key: Secrets Manager decrypts (Get) or makes a data key (Put) for the
      // caller, with the secret's ARN as encryption context. https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
      const key = policies.secretKey(i.SecretId);
      const failed = c.error !== undefined;
      return [
        req(`secretsmanager:${c.command}`, i.SecretId),
        ...(key && !failed
          ? [
              req(c.command === "GetSecretValue" ? "kms:Decrypt" : "kms:GenerateDataKey", key, {
                "kms:ViaService": `secretsmanager.${c.region}.amazonaws.com`,
                "kms:CallerAccount": ACCOUNT,
                "kms:EncryptionContext:SecretARN": i.SecretId,
              }),
            ]
          : []),
      ];
    }
    case "Secrets Manager:DescribeSecret":
    case "Secrets Manager:ListSecretVersionIds":
    case "Secrets Manager:UpdateSecretVersionStage":
      return [req(`secretsmanager:${c.command}`, i.SecretId)];
    case "SSM:GetParameter":
    case "SSM:PutParameter":
      return [
        req(
          `ssm:${c.command}`,
          `arn:aws:ssm:${c.region}:${ACCOUNT}:parameter/${String(i.Name).replace(/^\//, "")}`,
        ),
      ];
    case "RDS:CreateDBSnapshot":
      return [
        req("rds:CreateDBSnapshot", rds("db", i.DBInstanceIdentifier)),
        req("rds:CreateDBSnapshot", rds("snapshot", i.DBSnapshotIdentifier)),
        ...(i.Tags?.length ? [req("rds:AddTagsToResource", rds("snapshot", i.DBSnapshotIdentifier))] : []),
      ];
    case "RDS:CreateDBClusterSnapshot":
      return [
        req("rds:CreateDBClusterSnapshot", rds("cluster", i.DBClusterIdentifier)),
        req("rds:CreateDBClusterSnapshot", rds("cluster-snapshot", i.DBClusterSnapshotIdentifier)),
        ...(i.Tags?.length
          ? [req("rds:AddTagsToResource", rds("cluster-snapshot", i.DBClusterSnapshotIdentifier))]
          : []),
      ];
    case "RDS:CopyDBSnapshot":
    case "RDS:CopyDBClusterSnapshot": {
      const cluster = c.command === "CopyDBClusterSnapshot";
      const type = cluster ? "cluster-snapshot" : "snapshot";
      const source = String(cluster ? i.SourceDBClusterSnapshotIdentifier : i.SourceDBSnapshotIdentifier);
      const target = String(cluster ? i.TargetDBClusterSnapshotIdentifier : i.TargetDBSnapshotIdentifier);
      const out = [
        req(`rds:${c.command}`, source.startsWith("arn:") ? source : rds(type, source)),
        req(`rds:${c.command}`, rds(type, target)),
        ...(i.CopyTags || i.Tags?.length ? [req("rds:AddTagsToResource", rds(type, target))] : []),
      ];
      if (i.KmsKeyId)
        out.push(
          req("kms:CreateGrant", i.KmsKeyId, {
            "kms:GrantIsForAWSResource": "true",
            "kms:CallerAccount": ACCOUNT,
            "kms:ViaService": `rds.${c.region}.amazonaws.com`,
          }),
          req("kms:DescribeKey", i.KmsKeyId, {
            "kms:CallerAccount": ACCOUNT,
            "kms:ViaService": `rds.${c.region}.amazonaws.com`,
          }),
        );
      return out;
    }
    case "RDS:DescribeDBSnapshots":
      return [
        i.DBInstanceIdentifier
          ? req("rds:DescribeDBSnapshots", rds("db", i.DBInstanceIdentifier))
          : req("rds:DescribeDBSnapshots", rds("snapshot", i.DBSnapshotIdentifier ?? "*")),
      ];
    case "RDS:DescribeDBClusterSnapshots":
      return [
        i.DBClusterIdentifier
          ? req("rds:DescribeDBClusterSnapshots", rds("cluster", i.DBClusterIdentifier))
          : req(
              "rds:DescribeDBClusterSnapshots",
              rds("cluster-snapshot", i.DBClusterSnapshotIdentifier ?? "*"),
            ),
      ];
    case "RDS:DescribeDBSnapshotAttributes":
      return [req("rds:DescribeDBSnapshotAttributes", rds("snapshot", i.DBSnapshotIdentifier))];
    case "RDS:DescribeDBClusterSnapshotAttributes":
      return [
        req(
          "rds:DescribeDBClusterSnapshotAttributes",
          rds("cluster-snapshot", i.DBClusterSnapshotIdentifier),
        ),
      ];
    case "RDS:DeleteDBSnapshot":
      return [
        req(
          "rds:DeleteDBSnapshot",
          rds("snapshot", i.DBSnapshotIdentifier),
          snapshotTags(i.DBSnapshotIdentifier),
        ),
      ];
    case "RDS:DeleteDBClusterSnapshot":
      return [
        req(
          "rds:DeleteDBClusterSnapshot",
          rds("cluster-snapshot", i.DBClusterSnapshotIdentifier),
          snapshotTags(i.DBClusterSnapshotIdentifier, "cluster-snapshot"),
        ),
      ];
    default:
      throw new Error(
        `the permission contract does not know the IAM actions of ${c.service} ${c.command}; add them to test/contracts/permissions.ts`,
      );
  }
}

/** `<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>@sha256:…` -> the repository's ARN. */
function repositoryArnOf(imageUri: string): string {
  const [host, path] = imageUri.split("/", 2) as [string, string];
  const region = host.split(".")[3];
  return `arn:aws:ecr:${region}:${ACCOUNT}:repository/${path.split(/[:@]/)[0]}`;
}

/** What ECS does with a Fargate job's execution role: pull the job's image and write its logs (awslogs driver). */
function fargatePlatformRequests(rec: RecordedStack, run: JobRun): IamRequest[] {
  const td = rec.resources.find(
    (r) => r.type === "aws:ecs/taskDefinition:TaskDefinition" && r.inputs.family === run.job,
  );
  if (!td) return [];
  const principal = String(td.inputs.executionRoleArn);
  const containers = JSON.parse(String(td.inputs.containerDefinitions)) as {
    name: string;
    image: string;
    logConfiguration?: { options?: Record<string, string> };
  }[];
  const because = "ECS starts the task with its execution role";
  const ctx = { "aws:SecureTransport": "true", "aws:RequestedRegion": run.region };
  // Every container's image from this account's ECR (a sidecar from ECR Public needs no IAM) and every container's logs.
  return containers.flatMap((container) => {
    const group = container.logConfiguration?.options?.["awslogs-group"];
    const prefix = container.logConfiguration?.options?.["awslogs-stream-prefix"];
    const privateImage = /\.dkr\.ecr\./.test(container.image);
    return [
      ...(privateImage
        ? [
            { principal, action: "ecr:GetAuthorizationToken", resource: "*", context: ctx, because },
            ...["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"].map(
              (action) => ({
                principal,
                action,
                resource: repositoryArnOf(container.image),
                context: ctx,
                because,
              }),
            ),
          ]
        : []),
      ...(group
        ? ["logs:CreateLogStream", "logs:PutLogEvents"].map((action) => ({
            principal,
            action,
            resource: `arn:aws:logs:${run.region}:${ACCOUNT}:log-group:${group}:log-stream:${prefix ?? run.job}/${container.name}/0123abcd`,
            context: ctx,
            because: "the awslogs driver writes the task's logs",
          }))
        : []),
    ];
  });
}

/**
 * What the platform does for a job: Lambda writes the function's logs, sends failed events to its queue and pulls
 * an image function's image (as the Lambda service, through the repository policy); ECS pulls a Fargate job's
 * image and writes its logs with the execution role.
 */
export function platformRequests(rec: RecordedStack, run: JobRun, policies: StackPolicies): IamRequest[] {
  if (run.runsOn === "fargate") return fargatePlatformRequests(rec, run);
  const fn = rec.resources.find(
    (r) => r.type === "aws:lambda/function:Function" && r.inputs.name === run.job,
  );
  if (!fn) return [];
  const functionArn = `arn:aws:lambda:${run.region}:${ACCOUNT}:function:${run.job}`;
  const image = typeof fn.inputs.imageUri === "string" ? repositoryArnOf(fn.inputs.imageUri) : null;
  const pulls: IamRequest[] = image
    ? ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"].map((action) => ({
        principal: "lambda.amazonaws.com",
        action,
        resource: image,
        context: {
          "aws:SourceArn": functionArn,
          "aws:SourceAccount": ACCOUNT,
          "aws:SecureTransport": "true",
        },
        because: "Lambda pulls the function's image",
      }))
    : [];
  const group =
    (fn.inputs.loggingConfig as { logGroup?: string } | undefined)?.logGroup ?? `/aws/lambda/${run.job}`;
  const stream = `arn:aws:logs:${run.region}:${ACCOUNT}:log-group:${group}:log-stream:2027/01/01/[$LATEST]0123456789abcdef`;
  const out: IamRequest[] = [
    ...pulls,
    {
      principal: run.roleArn,
      action: "logs:CreateLogStream",
      resource: stream,
      context: {},
      because: "Lambda writes the function's logs",
    },
    {
      principal: run.roleArn,
      action: "logs:PutLogEvents",
      resource: stream,
      context: {},
      because: "Lambda writes the function's logs",
    },
  ];
  const invokeConfig = rec.resources.find(
    (r) =>
      r.type === "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig" &&
      r.inputs.functionName === run.job,
  );
  const queue = (
    invokeConfig?.inputs.destinationConfig as { onFailure?: { destination?: string } } | undefined
  )?.onFailure?.destination;
  if (queue) {
    const because = "Lambda sends a failed event to the job's failure queue";
    out.push({
      principal: run.roleArn,
      action: "sqs:SendMessage",
      resource: queue,
      context: { "aws:SecureTransport": "true" },
      because,
    });
    const key = policies.queueKey(queue);
    // A producer on an SSE-KMS queue needs GenerateDataKey and Decrypt: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
    if (key)
      for (const action of ["kms:GenerateDataKey", "kms:Decrypt"])
        out.push({
          principal: run.roleArn,
          action,
          resource: key,
          context: {
            "kms:ViaService": `sqs.${run.region}.amazonaws.com`,
            "kms:CallerAccount": ACCOUNT,
            "kms:EncryptionContext:aws:sqs:arn": queue,
          },
          because: `${because} (SQS calls KMS for the sender)`,
        });
  }
  return out;
}

/** Evaluates one request: identity policies of the principal (for roles), plus the resource's own policy. */
export async function evaluate(req: IamRequest, policies: StackPolicies): Promise<Denial | null> {
  const isService = req.principal.endsWith(".amazonaws.com");
  const resourcePolicy = policies.resourcePolicyFor(req.resource);
  const identity = isService ? [] : policies.identityPolicies(req.principal);
  const result = await runSimulation(
    {
      identityPolicies: identity.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy: resourcePolicy.policy } : {}),
      request: {
        principal: req.principal,
        action: req.action,
        resource: { resource: req.resource, accountId: ACCOUNT },
        contextVariables: req.context,
      },
    } as never,
    {},
  );
  if (result.resultType === "error") {
    return {
      request: req,
      result: "simulation error",
      deniedBy: JSON.stringify(result.errors).slice(0, 600),
    };
  }
  if (result.overallResult === "Allowed") return null;
  const analysis = (result as { result?: { analysis?: any } }).result?.analysis ?? {};
  const deniedBy: string[] = [];
  for (const s of analysis.resourceAnalysis?.denyStatements ?? [])
    deniedBy.push(
      `${resourcePolicy?.name} statement ${s.statement?.Sid ?? s.explain?.identifier ?? "?"} (explicit deny)`,
    );
  for (const s of analysis.identityAnalysis?.denyStatements ?? [])
    deniedBy.push(`identity deny ${s.statement?.Sid}`);
  if (deniedBy.length === 0) {
    const identityAllowed = isService || analysis.identityAnalysis?.result === "Allowed";
    if (!identityAllowed)
      deniedBy.push(
        `no statement of ${identity.map((p) => p.name).join(", ") || "(no identity policy)"} allows it`,
      );
    if (
      resourcePolicy &&
      analysis.resourceAnalysis?.result !== "Allowed" &&
      (isService || req.resource.startsWith("arn:aws:kms:"))
    )
      deniedBy.push(`no statement of ${resourcePolicy.name} allows it`);
  }
  return {
    request: req,
    result: String(result.overallResult),
    deniedBy: deniedBy.join("; ") || "implicit deny",
  };
}

export function describeDenial(stack: string, job: string, d: Denial): string {
  const ctx = Object.entries(d.request.context)
    .filter(([k]) => k !== "aws:SecureTransport" && k !== "aws:RequestedRegion" && k !== "aws:PrincipalArn")
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(",")}]` : v}`)
    .join(" ");
  return `${stack} ${job}: ${d.request.because}: ${d.request.action} on ${d.request.resource}${ctx ? ` {${ctx}}` : ""} is ${d.result} by ${d.deniedBy}`;
}

/**
 * What AWS services write into the stack's buckets on its behalf: the Logs export service (as its service principal,
 * with the source account and log group AWS sets) and Firehose (with its delivery role), each with the headers it
 * sends and the KMS call S3 makes for it. https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasks.html
 */
export function deliveryRequests(
  rec: RecordedStack,
  policies: StackPolicies,
  runs: readonly JobRun[],
): IamRequest[] {
  const out: IamRequest[] = [];
  for (const run of runs) {
    for (const c of run.sent.filter((s) => s.command === "CreateExportTask")) {
      const i = c.input as Record<string, string>;
      const principal = `logs.${c.region}.amazonaws.com`;
      const source = {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": `arn:aws:logs:${c.region}:${ACCOUNT}:log-group:${i.logGroupName}`,
        "aws:SecureTransport": "true",
      };
      const because = `the Logs export of ${i.logGroupName} writes into ${i.destination}`;
      const key = `${i.destinationPrefix}/task-id/stream/000000.gz`;
      out.push(
        {
          principal,
          action: "s3:GetBucketAcl",
          resource: `arn:aws:s3:::${i.destination}`,
          context: source,
          because,
        },
        {
          principal,
          action: "s3:PutObject",
          resource: `arn:aws:s3:::${i.destination}/${key}`,
          // The export sends the ACL and no encryption header: the bucket's default key applies.
          context: { ...source, "s3:x-amz-acl": "bucket-owner-full-control" },
          because,
        },
      );
      const enc = policies.bucketEncryption(i.destination!);
      if (enc)
        out.push({
          principal,
          action: "kms:GenerateDataKey",
          resource: enc.keyArn,
          context: {
            ...source,
            "kms:EncryptionContext:aws:s3:arn": enc.bucketKey
              ? `arn:aws:s3:::${i.destination}`
              : `arn:aws:s3:::${i.destination}/${key}`,
          },
          because: `${because} (S3 calls KMS for the Logs service)`,
        });
    }
  }
  for (const f of rec.resources.filter(
    (r) => r.type === "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
  )) {
    const s3 = f.inputs.extendedS3Configuration as {
      bucketArn: string;
      roleArn: string;
      kmsKeyArn?: string;
      prefix?: string;
    };
    const bucket = s3.bucketArn.slice("arn:aws:s3:::".length);
    const key = `${(s3.prefix ?? "").replace(/!\{[^}]*\}/g, "2027")}delivery-1`;
    const because = `Firehose ${f.inputs.name} delivers into ${bucket}`;
    out.push({
      principal: s3.roleArn,
      action: "s3:PutObject",
      resource: `arn:aws:s3:::${bucket}/${key}`,
      context: {
        "aws:SecureTransport": "true",
        "aws:RequestedRegion": f.region,
        ...(s3.kmsKeyArn
          ? {
              "s3:x-amz-server-side-encryption": "aws:kms",
              "s3:x-amz-server-side-encryption-aws-kms-key-id": s3.kmsKeyArn,
            }
          : {}),
      },
      because,
    });
    // Firehose finds the bucket and uploads in parts, aborting a failed one: the role AWS documents for an S3
    // destination. https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3
    const ctx = { "aws:SecureTransport": "true", "aws:RequestedRegion": f.region };
    out.push(
      {
        principal: s3.roleArn,
        action: "s3:GetBucketLocation",
        resource: s3.bucketArn,
        context: ctx,
        because,
      },
      { principal: s3.roleArn, action: "s3:ListBucket", resource: s3.bucketArn, context: ctx, because },
      {
        principal: s3.roleArn,
        action: "s3:AbortMultipartUpload",
        resource: `${s3.bucketArn}/${key}`,
        context: ctx,
        because,
      },
    );
    const keyArn = s3.kmsKeyArn ?? policies.bucketEncryption(bucket)?.keyArn;
    const enc = policies.bucketEncryption(bucket);
    for (const action of ["kms:GenerateDataKey", "kms:Decrypt"])
      if (keyArn)
        out.push({
          principal: s3.roleArn,
          action,
          resource: keyArn,
          context: {
            "kms:ViaService": `s3.${f.region}.amazonaws.com`,
            "kms:CallerAccount": ACCOUNT,
            "kms:EncryptionContext:aws:s3:arn": enc?.bucketKey ? s3.bucketArn : `${s3.bucketArn}/${key}`,
          },
          because: `${because} (S3 calls KMS for the delivery role)`,
        });
  }
  return out;
}

/**
 * What S3 Replication does with the replication role for each object it copied and each tag change it carried in the
 * runs: read the replication configuration, the source version with its ACL and tags (and, from an Object Lock bucket,
 * its retention and legal hold), decrypt it with the source key, and write the replica and its tags encrypted with
 * the destination's key, each KMS call through S3 in that bucket's region with the bucket ARN as context (S3 Bucket
 * Keys). https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html ;
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
 */
export function replicationRequests(
  rec: RecordedStack,
  policies: StackPolicies,
  world: AwsWorld,
): IamRequest[] {
  const locked = (bucket: string) =>
    rec.resources.some(
      (r) =>
        r.type === "aws:s3/bucket:Bucket" &&
        r.inputs.bucket === bucket &&
        r.inputs.objectLockEnabled === true,
    );
  const out: IamRequest[] = [];
  for (const e of world.replicated) {
    const { rule } = e;
    const principal = rule.roleArn;
    const because = `S3 replicates ${e.what === "object" ? "" : "the tags of "}${rule.sourceBucket}/${e.key} to ${rule.destinationBucket} (rule ${rule.ruleId})`;
    const ctx = { "aws:SecureTransport": "true" };
    const req = (action: string, resource: string, context: Record<string, string> = ctx): IamRequest => ({
      principal,
      action,
      resource,
      context,
      because,
    });
    const kms = (action: string, keyArn: string, region: string, bucket: string) =>
      req(action, keyArn, {
        "kms:ViaService": `s3.${region}.amazonaws.com`,
        "kms:CallerAccount": ACCOUNT,
        "kms:EncryptionContext:aws:s3:arn": policies.bucketEncryption(bucket)?.bucketKey
          ? `arn:aws:s3:::${bucket}`
          : s3Object(bucket, e.key),
      });
    const source = s3Object(rule.sourceBucket, e.key);
    const replica = s3Object(rule.destinationBucket, e.key);
    out.push(
      req("s3:GetReplicationConfiguration", `arn:aws:s3:::${rule.sourceBucket}`),
      req("s3:ListBucket", `arn:aws:s3:::${rule.sourceBucket}`),
    );
    if (e.what === "object") {
      out.push(
        req("s3:GetObjectVersionForReplication", source),
        req("s3:GetObjectVersionAcl", source),
        ...(locked(rule.sourceBucket)
          ? [req("s3:GetObjectRetention", source), req("s3:GetObjectLegalHold", source)]
          : []),
        req("s3:ReplicateObject", replica),
      );
      const sourceKey = policies.bucketEncryption(rule.sourceBucket)?.keyArn;
      if (sourceKey) out.push(kms("kms:Decrypt", sourceKey, rule.sourceRegion, rule.sourceBucket));
      for (const action of ["kms:Encrypt", "kms:GenerateDataKey"])
        out.push(kms(action, rule.replicaKmsKeyId, rule.destinationRegion, rule.destinationBucket));
    }
    if (e.what === "tags" || e.tags > 0)
      out.push(req("s3:GetObjectVersionTagging", source), req("s3:ReplicateTags", replica));
  }
  return out;
}
