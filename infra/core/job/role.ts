// The role a job's own code runs as: assumed only by the service that runs it, allowed its log group and its failure
// queue (when it writes there itself), its last-success parameter, the messaging key and the job's own statements.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { physicalName } from "../naming";
import { jobPolicyDocument, trustPolicy } from "../policies/job-role";
import type { JobParts } from "./runner";

/** A role of the job that only `service` acting for this account may assume: `${name}-${id}`, `<prefix>-<job>-<kind>`. */
export function serviceRole(
  p: Pick<JobParts, "name" | "args" | "parent" | "accountId">,
  id: string,
  kind: string,
  service: string,
): aws.iam.Role {
  return new aws.iam.Role(
    `${p.name}-${id}`,
    {
      name: physicalName("iamRole", p.args.namePrefix, p.args.job, kind),
      assumeRolePolicy: p.accountId.apply((a) => JSON.stringify(trustPolicy(service, a))),
      tags: p.args.tags,
    },
    { parent: p.parent },
  );
}

export function declareJobRole(
  p: JobParts,
  /** The service principal that runs the job (lambda.amazonaws.com, ecs-tasks.amazonaws.com). */
  service: string,
  /** Only a Lambda sends to its failure queue itself (async destination); EventBridge feeds a Fargate one. */
  sendsFailures: boolean,
  /** Only a Lambda writes its own logs; a Fargate task's awslogs driver writes with the execution role. */
  writesOwnLogs: boolean,
): { role: aws.iam.Role; rolePolicy: aws.iam.RolePolicy } {
  const { name, args } = p;
  const parent = { parent: p.parent };
  const role = serviceRole(p, "role", "job", service);
  const rolePolicy = new aws.iam.RolePolicy(
    `${name}-role-policy`,
    {
      role: role.name,
      policy: pulumi
        .all([
          p.logGroup.arn,
          sendsFailures ? p.failureQueue.arn : undefined,
          args.messagingKmsKeyArn,
          p.lastSuccess?.arn,
          pulumi.all(
            args.statements.map((st) =>
              pulumi.all([...st.resources]).apply((resources) => ({ ...st, resources })),
            ),
          ),
        ])
        .apply(([logGroupArn, failureQueueArn, messagingKeyArn, parameterArn, statements]) =>
          JSON.stringify(
            jobPolicyDocument(args.job, statements, {
              // The task role never writes logs itself: the execution role's awslogs driver does.
              ...(writesOwnLogs ? { logGroupArn } : {}),
              ...(failureQueueArn ? { failureQueueArn } : {}),
              messagingKeyArn,
              ...(parameterArn ? { lastSuccessParameterArn: parameterArn } : {}),
            }),
          ),
        ),
    },
    parent,
  );
  return { role, rolePolicy };
}
