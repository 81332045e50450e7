// Key policies for the stack's KMS keys: account administration plus only the service principals that use each key.
import { type PolicyDocument, policy, type Statement } from "./document";

export type KeyPurpose = "backups" | "logs" | "messaging" | "secrets";
/** The keys every stack has; `secrets` only where a capability asks for it (secrets the stack creates). */
export const KEY_PURPOSES: readonly KeyPurpose[] = ["backups", "logs", "messaging"];

export interface AccountContext {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
}

/** Administration without `kms:*`: the actions AWS's default key policy gives key administrators. */
const ADMIN_ACTIONS = [
  "kms:Create*",
  "kms:Describe*",
  "kms:Enable*",
  "kms:List*",
  "kms:Put*",
  "kms:Update*",
  "kms:Revoke*",
  "kms:Disable*",
  "kms:Get*",
  "kms:Delete*",
  "kms:TagResource",
  "kms:UntagResource",
  "kms:ScheduleKeyDeletion",
  "kms:CancelKeyDeletion",
  "kms:RotateKeyOnDemand",
];
const USE_ACTIONS = [
  "kms:Encrypt",
  "kms:Decrypt",
  "kms:ReEncrypt*",
  "kms:GenerateDataKey*",
  "kms:DescribeKey",
];

function administration(ctx: AccountContext): Statement {
  return {
    Sid: "AccountAdministration",
    Effect: "Allow",
    Principal: { AWS: `arn:${ctx.partition}:iam::${ctx.account}:root` },
    Action: ADMIN_ACTIONS,
    Resource: "*",
  };
}

/** Lets this account's IAM policies grant use of the key (job roles name it explicitly), only via `services`. */
function accountUseVia(ctx: AccountContext, services: string[]): Statement {
  return {
    Sid: "AccountUseThroughServices",
    Effect: "Allow",
    Principal: { AWS: `arn:${ctx.partition}:iam::${ctx.account}:root` },
    Action: USE_ACTIONS,
    Resource: "*",
    Condition: {
      StringEquals: {
        "kms:CallerAccount": ctx.account,
        "kms:ViaService": services.map((s) => `${s}.${ctx.region}.amazonaws.com`),
      },
    },
  };
}

/** RDS creates grants for encrypted snapshots and cross-region copies. */
function awsResourceGrants(ctx: AccountContext): Statement {
  return {
    Sid: "AccountGrantsForAwsResources",
    Effect: "Allow",
    Principal: { AWS: `arn:${ctx.partition}:iam::${ctx.account}:root` },
    Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
    Resource: "*",
    Condition: {
      Bool: { "kms:GrantIsForAWSResource": true },
      StringEquals: { "kms:CallerAccount": ctx.account },
    },
  };
}

/**
 * The exact key policy for a purpose. Logs: the regional CloudWatch Logs principal, only for this account's log groups
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html). Messaging: CloudWatch alarms
 * and EventBridge publishing to encrypted SNS topics, scoped by aws:SourceAccount
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services); SQS and
 * Lambda reach it through job roles. Backups: RDS snapshots and S3 objects via those services only.
 */
export function keyPolicy(purpose: KeyPurpose, ctx: AccountContext): PolicyDocument {
  const statements: Statement[] = [administration(ctx)];
  switch (purpose) {
    case "logs":
      statements.push(
        // logs: encrypted log groups; s3: the archive bucket's writers (the export job's checkpoints, Firehose).
        accountUseVia(ctx, ["logs", "s3"]),
        {
          Sid: "CloudWatchLogsForThisAccountsLogGroups",
          Effect: "Allow",
          Principal: { Service: `logs.${ctx.region}.amazonaws.com` },
          Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
          Resource: "*",
          Condition: {
            ArnLike: {
              "kms:EncryptionContext:aws:logs:arn": `arn:${ctx.partition}:logs:${ctx.region}:${ctx.account}:log-group:*`,
            },
          },
        },
        {
          // Export tasks write to the SSE-KMS archive bucket as the Logs service.
          // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasks.html
          Sid: "CloudWatchLogsExportsToEncryptedArchive",
          Effect: "Allow",
          Principal: { Service: `logs.${ctx.region}.amazonaws.com` },
          Action: ["kms:GenerateDataKey", "kms:Decrypt"],
          Resource: "*",
          Condition: {
            StringEquals: { "aws:SourceAccount": ctx.account },
            ArnLike: {
              "aws:SourceArn": `arn:${ctx.partition}:logs:${ctx.region}:${ctx.account}:log-group:*`,
            },
          },
        },
      );
      break;
    case "messaging":
      statements.push(accountUseVia(ctx, ["sns", "sqs", "lambda"]), {
        Sid: "AlarmsAndEventsPublishToEncryptedTopics",
        Effect: "Allow",
        Principal: { Service: ["cloudwatch.amazonaws.com", "events.amazonaws.com"] },
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: "*",
        Condition: { StringEquals: { "aws:SourceAccount": ctx.account } },
      });
      break;
    case "backups":
      statements.push(accountUseVia(ctx, ["rds", "s3"]), awsResourceGrants(ctx));
      break;
    case "secrets":
      // Secrets Manager encrypts and decrypts for the caller: https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
      statements.push(accountUseVia(ctx, ["secretsmanager"]));
      break;
  }
  return policy(statements);
}
