// The service-to-service joints of a plan, as IAM requests: alarms publishing to their topics, schedules invoking
// their targets and dead-lettering, EventBridge rules sending to queues, log subscriptions feeding Firehose.
// Each comes from the plan's own resources, so a new alarm, schedule or rule is covered the moment it is declared.
import type { RecordedStack } from "../../scripts/lib/record-stack";
import type { RecordedResource } from "../support/pulumi-mocks";
import { ACCOUNT, type IamRequest } from "./permissions";

const regionOf = (arn: string) => arn.split(":")[3] ?? "";

/** The KMS calls a service makes for a sender into an SSE-KMS queue or topic. */
function messagingKms(
  principal: string,
  keyArn: string | undefined,
  via: "sqs" | "sns",
  resource: string,
  context: Record<string, string>,
  because: string,
): IamRequest[] {
  if (!keyArn) return [];
  const service = principal.endsWith(".amazonaws.com");
  return ["kms:GenerateDataKey", "kms:Decrypt"].map((action) => ({
    principal,
    action,
    resource: keyArn,
    context: service
      ? context
      : {
          "kms:ViaService": `${via}.${regionOf(resource)}.amazonaws.com`,
          "kms:CallerAccount": ACCOUNT,
          [`kms:EncryptionContext:aws:${via}:arn`]: resource,
        },
    because: `${because} (${via.toUpperCase()} calls KMS for the sender)`,
  }));
}

function topicKey(rec: RecordedStack, topicArn: string): string | undefined {
  const t = rec.resources.find((r) => r.type === "aws:sns/topic:Topic" && r.arn === topicArn);
  return t?.inputs.kmsMasterKeyId as string | undefined;
}

/** CloudWatch publishing each alarm's state changes to its topics (topic policy, messaging key policy). */
function alarmRequests(rec: RecordedStack): IamRequest[] {
  const out: IamRequest[] = [];
  const alarms = rec.resources.filter(
    (r) =>
      r.type === "aws:cloudwatch/metricAlarm:MetricAlarm" ||
      r.type === "aws:cloudwatch/compositeAlarm:CompositeAlarm",
  );
  for (const a of alarms) {
    const topics = new Set([
      ...((a.inputs.alarmActions as string[] | undefined) ?? []),
      ...((a.inputs.okActions as string[] | undefined) ?? []),
    ]);
    for (const topic of topics) {
      const context = {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": a.arn ?? "",
        "aws:SecureTransport": "true",
      };
      const because = `alarm ${a.name} notifies ${topic.split(":").pop()}`;
      out.push(
        { principal: "cloudwatch.amazonaws.com", action: "sns:Publish", resource: topic, context, because },
        ...messagingKms("cloudwatch.amazonaws.com", topicKey(rec, topic), "sns", topic, context, because),
      );
    }
  }
  return out;
}

function queueKey(rec: RecordedStack, queueArn: string): string | undefined {
  const q = rec.resources.find((r) => r.type === "aws:sqs/queue:Queue" && r.arn === queueArn);
  return q?.inputs.kmsMasterKeyId as string | undefined;
}

/** What each schedule's role does: invoke or run its target, or call the universal target, and dead-letter. */
function scheduleRequests(rec: RecordedStack, s: RecordedResource): IamRequest[] {
  const t = s.inputs.target as {
    arn: string;
    roleArn: string;
    input?: string;
    deadLetterConfig?: { arn: string };
    ecsParameters?: { taskDefinitionArn: string };
  };
  const because = `schedule ${s.name}`;
  const ctx = { "aws:SecureTransport": "true", "aws:RequestedRegion": s.region };
  const out: IamRequest[] = [];
  if (t.ecsParameters) {
    out.push({
      principal: t.roleArn,
      action: "ecs:RunTask",
      resource: t.ecsParameters.taskDefinitionArn,
      context: { ...ctx, "ecs:cluster": t.arn },
      because: `${because} runs its task`,
    });
    const td = rec.resources.find(
      (r) =>
        r.type === "aws:ecs/taskDefinition:TaskDefinition" &&
        t.ecsParameters!.taskDefinitionArn.includes(`/${r.inputs.family}:`),
    );
    for (const role of [td?.inputs.taskRoleArn, td?.inputs.executionRoleArn].filter(
      (r): r is string => typeof r === "string",
    ))
      out.push({
        principal: t.roleArn,
        action: "iam:PassRole",
        resource: role,
        context: { ...ctx, "iam:PassedToService": "ecs-tasks.amazonaws.com" },
        because: `${because} hands the task its roles`,
      });
  } else if (t.arn.startsWith("arn:aws:lambda:")) {
    out.push({
      principal: t.roleArn,
      action: "lambda:InvokeFunction",
      resource: t.arn,
      context: ctx,
      because: `${because} invokes its function`,
    });
  } else if (t.arn.endsWith(":cloudwatch:putMetricData")) {
    const input = JSON.parse(String(t.input)) as { Namespace: string };
    out.push({
      principal: t.roleArn,
      action: "cloudwatch:PutMetricData",
      resource: "*",
      context: { ...ctx, "cloudwatch:namespace": input.Namespace },
      because: `${because} publishes its metric`,
    });
  } else if (t.arn.endsWith(":sns:publish")) {
    // The universal target calls SNS Publish with the role's credentials; SNS calls KMS for an encrypted topic.
    const topic = (JSON.parse(String(t.input)) as { TopicArn: string }).TopicArn;
    const why = `${because} publishes to ${topic.split(":").pop()}`;
    out.push(
      {
        principal: t.roleArn,
        action: "sns:Publish",
        resource: topic,
        context: { ...ctx, "aws:RequestedRegion": regionOf(topic) },
        because: why,
      },
      ...messagingKms(t.roleArn, topicKey(rec, topic), "sns", topic, {}, why),
    );
  } else {
    // A target this contract does not know would pass unevaluated: teach it the requests first.
    throw new Error(
      `${because}: no wiring requests for target ${t.arn}; add them in test/contracts/wiring.ts`,
    );
  }
  const dlq = t.deadLetterConfig?.arn;
  if (dlq)
    out.push(
      {
        principal: t.roleArn,
        action: "sqs:SendMessage",
        resource: dlq,
        context: { ...ctx, "aws:RequestedRegion": regionOf(dlq) },
        because: `${because} dead-letters`,
      },
      ...messagingKms(t.roleArn, queueKey(rec, dlq), "sqs", dlq, {}, `${because} dead-letters`),
    );
  return out;
}

/** EventBridge rules sending to queues (queue policy by source rule), log subscriptions putting into Firehose. */
function eventRequests(rec: RecordedStack): IamRequest[] {
  const out: IamRequest[] = [];
  for (const target of rec.resources.filter((r) => r.type === "aws:cloudwatch/eventTarget:EventTarget")) {
    const queue = String(target.inputs.arn);
    if (!queue.startsWith("arn:aws:sqs:")) continue;
    const rule = rec.resources.find(
      (r) => r.type === "aws:cloudwatch/eventRule:EventRule" && r.inputs.name === target.inputs.rule,
    );
    const context = {
      "aws:SourceAccount": ACCOUNT,
      "aws:SourceArn": rule?.arn ?? "",
      "aws:SecureTransport": "true",
    };
    const because = `rule ${target.inputs.rule} sends to ${queue.split(":").pop()}`;
    out.push(
      { principal: "events.amazonaws.com", action: "sqs:SendMessage", resource: queue, context, because },
      ...messagingKms("events.amazonaws.com", queueKey(rec, queue), "sqs", queue, context, because),
    );
  }
  for (const sub of rec.resources.filter(
    (r) => r.type === "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
  )) {
    const stream = String(sub.inputs.destinationArn);
    for (const action of ["firehose:PutRecord", "firehose:PutRecordBatch"])
      out.push({
        principal: String(sub.inputs.roleArn),
        action,
        resource: stream,
        context: { "aws:SecureTransport": "true" },
        because: `log subscription of ${sub.inputs.logGroup} feeds ${stream.split("/").pop()}`,
      });
  }
  return out;
}

/** Every service-to-service request of the plan. */
export function wiringRequests(rec: RecordedStack): IamRequest[] {
  return [
    ...alarmRequests(rec),
    ...rec.resources
      .filter((r) => r.type === "aws:scheduler/schedule:Schedule")
      .flatMap((s) => scheduleRequests(rec, s)),
    ...eventRequests(rec),
  ];
}
