// IAM documents for maintenance jobs, built as pure functions so tests assert every statement exactly.
import { assertNoWildcardActions, type PolicyDocument, policy, type Statement } from "./document";

/** A permission a job declares: named actions on ARNs (or `*` only with a narrowing condition). */
export interface JobStatement {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: Statement["Condition"];
}

export interface JobPolicyContext {
  /** A Lambda's own log group; absent for a Fargate task role (the awslogs driver writes with the execution role). */
  readonly logGroupArn?: string;
  /** Lambda jobs' async failure destination (Fargate jobs have none). */
  readonly failureQueueArn?: string;
  readonly messagingKeyArn: string;
  /** SSM parameter recording the last success, for jobs watched through SecondsSinceLastSuccess. */
  readonly lastSuccessParameterArn?: string;
}

/** Trust policy: only `service` acting for this account may assume the role. */
export function trustPolicy(service: string, account: string, sourceArnLike?: string): PolicyDocument {
  return policy([
    {
      Sid: "AssumedOnlyByServiceForThisAccount",
      Effect: "Allow",
      Principal: { Service: service },
      Action: "sts:AssumeRole",
      Condition: {
        StringEquals: { "aws:SourceAccount": account },
        ...(sourceArnLike ? { ArnLike: { "aws:SourceArn": sourceArnLike } } : {}),
      },
    },
  ]);
}

/** Throws on a wildcard action (`*`, `service:*`) or a `*` resource without a narrowing condition. */
export function assertStatementsNarrow(job: string, statements: readonly JobStatement[]): void {
  for (const s of statements) {
    for (const action of s.actions) {
      if (action === "*" || /^[a-z0-9-]+:\*$/i.test(action)) {
        throw new Error(`job ${job}: statement ${s.sid} allows "${action}"; name the actions the job needs`);
      }
    }
    if (s.resources.includes("*") && !s.conditions) {
      throw new Error(
        `job ${job}: statement ${s.sid} uses Resource "*" without a condition; scope it by ARN or tag`,
      );
    }
  }
}

/**
 * The job's execution policy: its own log group, its failure queue (and the key that encrypts it), its success
 * parameter, then exactly the statements it declares. Any `*` or `service:*` action throws.
 */
export function jobPolicyDocument(
  job: string,
  statements: readonly JobStatement[],
  ctx: JobPolicyContext,
): PolicyDocument {
  const base: Statement[] = ctx.logGroupArn
    ? [
        {
          Sid: "WriteOwnLogs",
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: [ctx.logGroupArn, `${ctx.logGroupArn}:log-stream:*`],
        },
      ]
    : [];
  if (ctx.failureQueueArn) {
    base.push(
      {
        Sid: "SendToOwnFailureQueue",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: ctx.failureQueueArn,
      },
      {
        Sid: "UseMessagingKeyForFailureQueue",
        Effect: "Allow",
        Action: ["kms:GenerateDataKey", "kms:Decrypt"],
        Resource: ctx.messagingKeyArn,
      },
    );
  }
  if (ctx.lastSuccessParameterArn) {
    base.push({
      Sid: "RecordLastSuccess",
      Effect: "Allow",
      Action: ["ssm:GetParameter", "ssm:PutParameter"],
      Resource: ctx.lastSuccessParameterArn,
    });
  }
  const declared: Statement[] = statements.map((s) => {
    if (s.resources.includes("*") && !s.conditions) {
      throw new Error(
        `job ${job}: statement ${s.sid} uses Resource "*" without a condition; scope it by ARN or tag`,
      );
    }
    return {
      Sid: s.sid,
      Effect: "Allow",
      Action: [...s.actions],
      Resource: s.resources.length === 1 ? s.resources[0]! : [...s.resources],
      ...(s.conditions ? { Condition: s.conditions } : {}),
    };
  });
  return assertNoWildcardActions(policy([...base, ...declared]), `job ${job}`);
}

/** The scheduler role may invoke only this function and write only to its schedules' DLQs. */
export function schedulerPolicyDocument(
  functionArn: string,
  dlqArns: readonly string[],
  messagingKeyArn: string,
): PolicyDocument {
  return policy([
    {
      Sid: "InvokeOnlyThisFunction",
      Effect: "Allow",
      Action: "lambda:InvokeFunction",
      Resource: [functionArn, `${functionArn}:*`],
    },
    { Sid: "DeadLetterToOwnQueues", Effect: "Allow", Action: "sqs:SendMessage", Resource: [...dlqArns] },
    {
      Sid: "UseMessagingKeyForDlqs",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: messagingKeyArn,
    },
  ]);
}

/** A Fargate job's scheduler role: run only this task family on this cluster, pass only its two roles, own DLQs. */
export function fargateSchedulerPolicyDocument(ctx: {
  readonly taskFamilyArn: string;
  readonly clusterArn: string;
  readonly passRoleArns: readonly string[];
  readonly dlqArns: readonly string[];
  readonly messagingKeyArn: string;
}): PolicyDocument {
  return policy([
    {
      Sid: "RunOnlyThisTaskOnThisCluster",
      Effect: "Allow",
      Action: "ecs:RunTask",
      // Any revision of the family: the schedule names the current one.
      Resource: `${ctx.taskFamilyArn}:*`,
      Condition: { ArnEquals: { "ecs:cluster": ctx.clusterArn } },
    },
    {
      // https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html#setting-up-execution-role (ECS targets)
      Sid: "PassOnlyThisTasksRolesToEcs",
      Effect: "Allow",
      Action: "iam:PassRole",
      Resource: [...ctx.passRoleArns],
      Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } },
    },
    { Sid: "DeadLetterToOwnQueues", Effect: "Allow", Action: "sqs:SendMessage", Resource: [...ctx.dlqArns] },
    {
      Sid: "UseMessagingKeyForDlqs",
      Effect: "Allow",
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: ctx.messagingKeyArn,
    },
  ]);
}

/** A Fargate task's execution role: pull only the job's image, write only the job's log group. */
export function taskExecutionPolicyDocument(repositoryArn: string, logGroupArn: string): PolicyDocument {
  return policy([
    {
      // GetAuthorizationToken has no resource-level permissions: https://docs.aws.amazon.com/AmazonECR/latest/userguide/security_iam_id-based-policy-examples.html
      Sid: "EcrLogin",
      Effect: "Allow",
      Action: "ecr:GetAuthorizationToken",
      Resource: "*",
    },
    {
      Sid: "PullOnlyTheJobImage",
      Effect: "Allow",
      Action: ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Resource: repositoryArn,
    },
    {
      Sid: "WriteOwnLogs",
      Effect: "Allow",
      Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
      Resource: [logGroupArn, `${logGroupArn}:log-stream:*`],
    },
  ]);
}
