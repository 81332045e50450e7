// The IAM documents of host maintenance, as pure functions a test asserts exactly: the host's instance role (only the
// prefixes it writes), the maintenance windows' service role (Run Command on the hosts only), and their trust.
import type { PolicyDocument, Statement } from "../core/policies/document";

export interface HostPolicyInput {
  readonly host: string;
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  readonly filesBucketArn: string;
  readonly filesKeyArn: string;
  readonly logGroupArn: string;
  /** The stack's metric namespace, when the host reports disk usage. */
  readonly metricNamespace?: string;
  /** Whether the host syncs folders to `hosts/<host>/`. */
  readonly syncs: boolean;
  readonly wal?: { readonly bucketArn: string; readonly keyArn: string; readonly repoPrefix: string };
}

const doc = (statements: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

/**
 * The bucket's key, only through S3 in the stack's region: encrypt (PutObject, each part of a multipart upload) and,
 * where the host reads or uploads in parts (sync, pgBackRest), decrypt. The key is the bucket's own, so no encryption-context condition is added
 * (the contracts' simulator could not prove one).
 */
function keyUse(sid: string, keyArn: string, region: string, decrypt: boolean): Statement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: decrypt ? ["kms:Decrypt", "kms:GenerateDataKey"] : ["kms:GenerateDataKey"],
    Resource: keyArn,
    Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
  };
}

/**
 * What a host's instance role needs beyond AmazonSSMManagedInstanceCore: the SSM agent's Run Command output into its
 * own S3 prefix and the hosts' log group, its synced folders under `hosts/<host>/`, its disk metrics in the stack's
 * namespace, and for the WAL host pgBackRest's repository prefix (deletes there are pgBackRest's expiry, bounded by
 * repo1-retention-full).
 */
export function hostPolicy(p: HostPolicyInput): PolicyDocument {
  const s: Statement[] = [
    {
      Sid: "RunCommandOutput",
      Effect: "Allow",
      Action: "s3:PutObject",
      Resource: `${p.filesBucketArn}/run-command/${p.host}/*`,
    },
    {
      Sid: "RunCommandLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
      Resource: [p.logGroupArn, `${p.logGroupArn}:*`],
    },
    {
      // The agent looks its group up before writing; DescribeLogGroups has no resource-level permission.
      Sid: "RunCommandLogGroupLookup",
      Effect: "Allow",
      Action: "logs:DescribeLogGroups",
      Resource: "*",
      Condition: { StringEquals: { "aws:RequestedRegion": p.region } },
    },
  ];
  if (p.syncs) {
    s.push(
      {
        Sid: "SyncedFolders",
        Effect: "Allow",
        Action: "s3:PutObject",
        Resource: `${p.filesBucketArn}/hosts/${p.host}/*`,
      },
      {
        // aws s3 sync lists the destination to skip what is already there.
        Sid: "SyncedFoldersList",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: p.filesBucketArn,
        Condition: { StringLike: { "s3:prefix": [`hosts/${p.host}/*`] } },
      },
    );
  }
  s.push(keyUse("HostFilesKey", p.filesKeyArn, p.region, p.syncs));
  if (p.metricNamespace) {
    s.push({
      Sid: "ChoreMetrics",
      Effect: "Allow",
      Action: "cloudwatch:PutMetricData",
      Resource: "*",
      Condition: { StringEquals: { "cloudwatch:namespace": p.metricNamespace } },
    });
  }
  if (p.wal) {
    s.push(
      {
        Sid: "WalRepository",
        Effect: "Allow",
        Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        Resource: `${p.wal.bucketArn}/${p.wal.repoPrefix}/*`,
      },
      {
        Sid: "WalRepositoryList",
        Effect: "Allow",
        Action: "s3:ListBucket",
        Resource: p.wal.bucketArn,
        Condition: { StringLike: { "s3:prefix": [`${p.wal.repoPrefix}/*`, `${p.wal.repoPrefix}`] } },
      },
      keyUse("WalKey", p.wal.keyArn, p.region, true),
    );
  }
  return doc(s);
}

/** EC2 may assume a host's role (through its instance profile), for this account only. */
export function ec2Trust(): PolicyDocument {
  return doc([
    {
      Sid: "Ec2AssumesHostRole",
      Effect: "Allow",
      Principal: { Service: "ec2.amazonaws.com" },
      Action: "sts:AssumeRole",
    },
  ]);
}

/** Systems Manager may assume the windows' role for this account's maintenance windows only. */
export function ssmTrust(account: string): PolicyDocument {
  return doc([
    {
      Sid: "SsmAssumesWindowRole",
      Effect: "Allow",
      Principal: { Service: "ssm.amazonaws.com" },
      Action: "sts:AssumeRole",
      Condition: { StringEquals: { "aws:SourceAccount": account } },
    },
  ]);
}

export interface WindowRoleInput {
  readonly region: string;
  readonly account: string;
  readonly partition: string;
  /** Hosts by instance id... */
  readonly instanceIds: readonly string[];
  /** ...or by tag. */
  readonly tags: readonly { readonly key: string; readonly value: string }[];
}

/**
 * The windows' service role: run AWS-RunShellScript on the stack's hosts and nothing else (a custom role, as AWS
 * recommends over the service-linked one: https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-maintenance-perm-console.html),
 * and follow the commands it sent.
 */
export function windowRolePolicy(p: WindowRoleInput): PolicyDocument {
  const instance = (id: string) => `arn:${p.partition}:ec2:${p.region}:${p.account}:instance/${id}`;
  const s: Statement[] = [
    {
      Sid: "RunShellScriptDocument",
      Effect: "Allow",
      Action: "ssm:SendCommand",
      // AWS-owned documents have no account in their ARN (arn:aws:ssm:<region>::document/...); `*` matches it.
      Resource: `arn:${p.partition}:ssm:${p.region}:*:document/AWS-RunShellScript`,
    },
  ];
  if (p.instanceIds.length)
    s.push({
      Sid: "OnTheHostsById",
      Effect: "Allow",
      Action: "ssm:SendCommand",
      Resource: p.instanceIds.map(instance),
    });
  for (const [i, t] of p.tags.entries())
    s.push({
      Sid: `OnTheHostsByTag${i}`,
      Effect: "Allow",
      Action: "ssm:SendCommand",
      Resource: instance("*"),
      Condition: { StringEquals: { [`ssm:resourceTag/${t.key}`]: t.value } },
    });
  s.push({
    Sid: "FollowCommands",
    Effect: "Allow",
    Action: [
      "ssm:CancelCommand",
      "ssm:GetCommandInvocation",
      "ssm:ListCommandInvocations",
      "ssm:ListCommands",
    ],
    Resource: "*",
  });
  return doc(s);
}
