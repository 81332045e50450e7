// The requests host maintenance makes, from the plan's own windows and scripts: Systems Manager running each window's
// task as the windows' role (SendCommand of AWS-RunShellScript on the task's targets, following and cancelling it),
// and the host running the script as its instance role (the agent's output to S3 and Logs, then what each generated
// command does: aws s3 sync, put-metric-data, pgBackRest's S3 repository). A new task or command is covered the moment
// the plan holds it; a command the mapping does not know fails the contract.
import type { RecordedStack } from "../../scripts/lib/record-stack";
import type { RecordedResource } from "../support/pulumi-mocks";
import { ACCOUNT, type IamRequest, s3Kms, type StackPolicies } from "./permissions";

interface WindowTask {
  readonly task: RecordedResource;
  readonly target: RecordedResource;
  readonly host: string;
  readonly script: string;
}

/** Each Run Command task with its target and the host it runs on (from the target's owner information). */
function windowTasks(rec: RecordedStack): WindowTask[] {
  const targets = rec.resources.filter(
    (r) => r.type === "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget",
  );
  return rec.resources
    .filter((r) => r.type === "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    .map((task) => {
      const targetId = (task.inputs.targets as { values: string[] }[])[0]!.values[0];
      const target = targets.find(
        (t) => t.inputs.name === targetId && t.inputs.windowId === task.inputs.windowId,
      );
      if (!target) throw new Error(`${task.name}: its target ${targetId} is not in the plan`);
      const host = String(target.inputs.ownerInformation).split(" host ").pop()!;
      const rc = (task.inputs.taskInvocationParameters as { runCommandParameters: Record<string, any> })
        .runCommandParameters;
      const script = (rc.parameters as { name: string; values: string[] }[]).find(
        (p) => p.name === "commands",
      )!.values[0]!;
      return { task, target, host, script };
    });
}

/** The instance ARNs a target names, with the tag condition when it targets by tag. */
function targetResources(t: RecordedResource): { resource: string; context: Record<string, string> }[] {
  const region = t.region;
  return (t.inputs.targets as { key: string; values: string[] }[]).flatMap((x) =>
    x.key === "InstanceIds"
      ? x.values.map((id) => ({ resource: `arn:aws:ec2:${region}:${ACCOUNT}:instance/${id}`, context: {} }))
      : x.values.map((v) => ({
          resource: `arn:aws:ec2:${region}:${ACCOUNT}:instance/i-0123456789abcdef0`,
          context: { [`ssm:resourceTag/${x.key.slice(4)}`]: v },
        })),
  );
}

/** The words of one script line, as bash reads single-quoted words (the generator quotes nothing else). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'((?:[^']|'\\'')*)'|(\S+)/g))
    out.push(m[1] !== undefined ? m[1].replace(/'\\''/g, "'") : m[2]!);
  return out;
}

export function hostRequests(rec: RecordedStack, policies: StackPolicies): IamRequest[] {
  const out: IamRequest[] = [];
  const prefix = String(
    rec.resources.find((r) => r.type === "aws:ssm/maintenanceWindow:MaintenanceWindow")?.inputs.name ?? "",
  ).split("-hosts-")[0];
  for (const { task, target, host, script } of windowTasks(rec)) {
    const region = task.region;
    const ctx = { "aws:SecureTransport": "true", "aws:RequestedRegion": region };
    const windows = String(task.inputs.serviceRoleArn);
    const because = `window task ${task.name}`;
    out.push({
      principal: windows,
      action: "ssm:SendCommand",
      // The simulator cannot parse an AWS-owned document's account-less ARN; the role's `*` account matches both.
      resource: `arn:aws:ssm:${region}:${ACCOUNT}:document/AWS-RunShellScript`,
      context: ctx,
      because: `${because} runs AWS-RunShellScript`,
    });
    for (const t of targetResources(target))
      out.push({
        principal: windows,
        action: "ssm:SendCommand",
        resource: t.resource,
        context: { ...ctx, ...t.context },
        because: `${because} on its host`,
      });
    for (const action of [
      "ssm:ListCommands",
      "ssm:ListCommandInvocations",
      "ssm:GetCommandInvocation",
      "ssm:CancelCommand",
    ])
      out.push({
        principal: windows,
        action,
        resource: "*",
        context: ctx,
        because: `${because} follows (and at the cutoff cancels) its command`,
      });

    // The host, as its instance role: the SSM agent's output, then each command of the script.
    const role = `arn:aws:iam::${ACCOUNT}:role/${prefix}-host-${host}`;
    const rc = (task.inputs.taskInvocationParameters as { runCommandParameters: Record<string, any> })
      .runCommandParameters;
    const hostBecause = `host ${host} runs ${task.name}`;
    const bucket = String(rc.outputS3Bucket);
    const outputKey = `${rc.outputS3KeyPrefix}/cmd-1/i-0/awsrunShellScript/0.awsrunShellScript/stdout`;
    const hostReq = (
      action: string,
      resource: string,
      context: Record<string, string | string[]> = {},
      why = hostBecause,
    ) => out.push({ principal: role, action, resource, context: { ...ctx, ...context }, because: why });
    hostReq(
      "s3:PutObject",
      `arn:aws:s3:::${bucket}/${outputKey}`,
      {},
      `${hostBecause}: the agent uploads its output`,
    );
    out.push(
      ...s3Kms(
        policies,
        role,
        region,
        bucket,
        outputKey,
        ["kms:GenerateDataKey"],
        undefined,
        `${hostBecause}: output`,
      ),
    );
    const group = `arn:aws:logs:${region}:${ACCOUNT}:log-group:${rc.cloudwatchConfig.cloudwatchLogGroupName}`;
    hostReq("logs:DescribeLogGroups", "*", {}, `${hostBecause}: the agent finds its log group`);
    const stream = `${group}:log-stream:cmd-1/i-0/aws-runShellScript/stdout`;
    hostReq("logs:DescribeLogStreams", `${group}:*`);
    for (const action of ["logs:CreateLogStream", "logs:PutLogEvents"]) hostReq(action, stream);
    out.push(
      ...scriptRequests(
        script,
        hostReq,
        (b, k, actions, key) => s3Kms(policies, role, region, b, k, actions, key, hostBecause),
        out,
      ),
    );
  }
  return out;
}

type HostReq = (
  action: string,
  resource: string,
  context?: Record<string, string | string[]>,
  why?: string,
) => void;

/** What the script's own commands ask AWS for. */
function scriptRequests(
  script: string,
  hostReq: HostReq,
  kms: (bucket: string, key: string, actions: string[], keyArn: string) => IamRequest[],
  _out: IamRequest[],
): IamRequest[] {
  const extra: IamRequest[] = [];
  const conf = Object.fromEntries(
    [...script.matchAll(/^(repo1-[a-z0-9-]+)=(.*)$/gm)].map((m) => [m[1]!, m[2]!]),
  );
  for (const line of script.split("\n").map((l) => l.trim())) {
    const w = words(line);
    if (w[0] === "aws" && w[1] === "s3" && w[2] === "sync") {
      const url = new URL(w[4]!);
      const bucket = url.hostname;
      const prefix = url.pathname.slice(1);
      const sseKey = w[w.indexOf("--sse-kms-key-id") + 1]!;
      const key = `${prefix}app.jsonl.gz`;
      hostReq(
        "s3:ListBucket",
        `arn:aws:s3:::${bucket}`,
        { "s3:prefix": prefix },
        "aws s3 sync lists the destination",
      );
      hostReq(
        "s3:PutObject",
        `arn:aws:s3:::${bucket}/${key}`,
        {
          "s3:x-amz-server-side-encryption": "aws:kms",
          "s3:x-amz-server-side-encryption-aws-kms-key-id": sseKey,
        },
        "aws s3 sync uploads a file",
      );
      // Files over 8 MiB go up in parts: S3 then also decrypts the data key.
      extra.push(...kms(bucket, key, ["kms:GenerateDataKey", "kms:Decrypt"], sseKey));
    } else if (w[0] === "aws" && w[1] === "cloudwatch" && w[2] === "put-metric-data") {
      hostReq(
        "cloudwatch:PutMetricData",
        "*",
        { "cloudwatch:namespace": w[w.indexOf("--namespace") + 1]! },
        "a chore metric (disk usage, Redis memory)",
      );
    } else if (w[0] === "aws") {
      throw new Error(
        `a host script runs "${line}", which test/contracts/hosts.ts does not map to IAM requests`,
      );
    } else if (w.includes("pgbackrest") && conf["repo1-s3-bucket"]) {
      const bucket = conf["repo1-s3-bucket"]!;
      const root = conf["repo1-path"]!.replace(/^\//, "");
      const keyArn = conf["repo1-s3-kms-key-id"]!;
      const file = `${root}/archive/s/15-1/0000000100000000/000000010000000000000001-abc.zst`;
      const sse = {
        "s3:x-amz-server-side-encryption": "aws:kms",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": keyArn,
      };
      const why = `pgBackRest (${w[w.length - 1]}) on the repository`;
      hostReq("s3:ListBucket", `arn:aws:s3:::${bucket}`, { "s3:prefix": `${root}/archive/` }, why);
      hostReq("s3:GetObject", `arn:aws:s3:::${bucket}/${root}/backup/s/backup.info`, {}, why);
      hostReq("s3:PutObject", `arn:aws:s3:::${bucket}/${file}`, sse, why);
      hostReq("s3:DeleteObject", `arn:aws:s3:::${bucket}/${file}`, {}, `${why}: expiry`);
      extra.push(...kms(bucket, file, ["kms:GenerateDataKey", "kms:Decrypt"], keyArn));
    }
  }
  return extra;
}
