// A job that runs as a Lambda function, from the esbuild zip of lambdas/<job>/handler.ts or from a container image:
// the function, its role (with VPC access in subnets), async retries into the failure queue, and Lambda's own alarms.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { anyInFiveMinutes, metricAlarm } from "../alarm";
import { bundleJob } from "../lambda-bundle";
import { schedulerPolicyDocument } from "../policies/job-role";
import type { MaintenanceJobArgs } from "./job-args";
import { declareJobRole } from "./role";
import type { JobCompute, JobParts, JobRunner } from "./runner";

/** The function's code, and what Lambda needs to run it. */
type LambdaCode = (
  args: MaintenanceJobArgs,
) => Pick<
  aws.lambda.FunctionArgs,
  "packageType" | "imageUri" | "imageConfig" | "runtime" | "handler" | "code"
>;

const zipCode: LambdaCode = (args) => ({
  runtime: "nodejs24.x",
  handler: "index.handler",
  code: new pulumi.asset.FileArchive(bundleJob(args.codeDir ?? args.job).dir),
});

const imageCode: LambdaCode = (args) => ({
  packageType: "Image",
  imageUri: args.image!.uri,
  imageConfig: { commands: [...args.image!.commands] },
});

function declareFunction(p: JobParts, code: LambdaCode): JobCompute {
  const { name, args } = p;
  const parent = { parent: p.parent };
  const { role, rolePolicy } = declareJobRole(p, "lambda.amazonaws.com", true, true);
  // ENIs in the job's subnets: AWS's managed policy, because ec2:DescribeNetworkInterfaces works only on
  // Resource "*" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions).
  const vpcAccess = args.network
    ? new aws.iam.RolePolicyAttachment(
        `${name}-vpc-access`,
        {
          role: role.name,
          policyArn: "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
        },
        parent,
      )
    : undefined;
  const fn = new aws.lambda.Function(
    `${name}-fn`,
    {
      name: p.fnName,
      description: args.description,
      architectures: ["arm64"],
      ...code(args),
      memorySize: args.memoryMb,
      timeout: args.timeoutSeconds,
      reservedConcurrentExecutions: args.reservedConcurrency,
      role: role.arn,
      environment: { variables: p.environment },
      loggingConfig: { logFormat: "JSON", logGroup: p.logGroup.name },
      ...(args.network
        ? {
            vpcConfig: {
              subnetIds: [...args.network.subnetIds],
              securityGroupIds: [...args.network.securityGroupIds],
            },
          }
        : {}),
      tags: args.tags,
    },
    { parent: p.parent, dependsOn: [p.logGroup, rolePolicy, ...(vpcAccess ? [vpcAccess] : [])] },
  );
  if (args.invokedBy)
    // Only the service acting for this account may invoke it (the confused-deputy guard Lambda documents).
    new aws.lambda.Permission(
      `${name}-invoke`,
      {
        function: fn.name,
        action: "lambda:InvokeFunction",
        principal: args.invokedBy,
        sourceAccount: p.accountId,
      },
      parent,
    );
  new aws.lambda.FunctionEventInvokeConfig(
    `${name}-async`,
    {
      functionName: fn.name,
      maximumRetryAttempts: args.retry.lambdaMaxRetries,
      maximumEventAgeInSeconds: args.retry.lambdaMaxEventAgeSeconds,
      destinationConfig: { onFailure: { destination: p.failureQueue.arn } },
    },
    parent,
  );
  return {
    targetArn: fn.arn,
    id: fn.name,
    roleArn: role.arn,
    // Scheduler may invoke only this function.
    schedulerPolicy: (dlqArns) =>
      pulumi
        .all([fn.arn, dlqArns, args.messagingKmsKeyArn])
        .apply(([fnArn, dlqs, keyArn]) => JSON.stringify(schedulerPolicyDocument(fnArn, dlqs, keyArn))),
    scheduleTarget: (event) => ({ input: event }),
  };
}

/** Lambda's own metrics: errors, throttles, and runs close to the timeout. */
function lambdaAlarms(p: Pick<JobParts, "name" | "args" | "parent" | "fnName">) {
  const { name, args, fnName } = p;
  const parent = { parent: p.parent };
  const failure = args.failureSeverity ?? "warning";
  const lambdaMetric = (metricName: string, stat: string) => ({
    namespace: "AWS/Lambda",
    metricName,
    dimensions: { FunctionName: fnName },
    stat,
  });
  return {
    errors: metricAlarm(
      `${name}-errors`,
      anyInFiveMinutes(
        failure,
        "job-errors",
        `${args.job} failed (Lambda Errors) in ${fnName}.`,
        lambdaMetric("Errors", "Sum"),
      ),
      args.routing,
      parent,
    ),
    throttles: metricAlarm(
      `${name}-throttles`,
      anyInFiveMinutes(
        "warning",
        "job-throttles",
        `${args.job} was throttled (reserved concurrency ${args.reservedConcurrency}) in ${fnName}.`,
        lambdaMetric("Throttles", "Sum"),
      ),
      args.routing,
      parent,
    ),
    duration: metricAlarm(
      `${name}-duration`,
      {
        severity: "warning",
        page: "job-duration",
        summary: `${args.job} ran close to its ${args.timeoutSeconds}s timeout (p99 Duration over 80%) in ${fnName}.`,
        metric: lambdaMetric("Duration", "p99"),
        periodSeconds: 3600,
        evaluationPeriods: 1,
        threshold: Math.round(args.timeoutSeconds * 1000 * 0.8),
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      },
      args.routing,
      parent,
    ),
  };
}

function lambdaRunner(code: LambdaCode): JobRunner {
  return {
    validate: () => {},
    // Lambda writes to /aws/lambda/<name>.
    logGroupName: (_args, fnName) => `/aws/lambda/${fnName}`,
    environment: () => ({}),
    declare: (parts) => declareFunction(parts, code),
    alarms: lambdaAlarms,
    failureSummary: (job) => `${job} invocations failed after all retries (failure queue not empty).`,
  };
}

/** The default: the esbuild bundle of lambdas/<job>/handler.ts on the nodejs24.x runtime. */
export const zipLambda: JobRunner = lambdaRunner(zipCode);
/** A container image (a job that needs tools Lambda's runtime lacks), run by digest. */
export const imageLambda: JobRunner = lambdaRunner(imageCode);
