// One KMS-encrypted SNS topic per severity (per region that has alarms), subscribed to the pager, email and chat.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type AlarmRouting, metricAlarm, SEVERITIES, type Severity } from "./alarm";
import { physicalName } from "./naming";
import type { AccountContext } from "./policies/key-policy";
import { topicPolicy } from "./policies/topic-policy";

export interface ChannelArgs {
  readonly emails?: readonly string[];
  /** Chat webhook URL (a secret); it must confirm SNS subscriptions (e.g. AWS Chatbot or a relay). */
  readonly webhookUrl?: pulumi.Input<string>;
}

export interface OnCallPagingArgs {
  readonly stack: string;
  readonly namePrefix: string;
  readonly runbookBaseUrl: string;
  /** false keeps every alarm but disables its actions (dev). */
  readonly actionsEnabled: boolean;
  /** Regions that hold alarms, primary first; each gets its own topics (alarms notify only same-region topics). */
  readonly regions: readonly string[];
  /** Messaging key ARN per region, for topic encryption. */
  readonly kmsKeyArns: Readonly<Record<string, pulumi.Input<string>>>;
  /** PagerDuty/Opsgenie CloudWatch integration URL (a secret); without it the critical topic has no pager. */
  readonly critical: { readonly pagerUrl?: pulumi.Input<string> };
  readonly warning: ChannelArgs;
  readonly info: ChannelArgs;
  readonly tags?: Record<string, string>;
}

/** Where a failing topic's own alarm goes: never the channel that is failing. */
export const FAILURE_ROUTE: Record<Severity, Severity> = {
  critical: "warning",
  warning: "critical",
  info: "critical",
};

export class OnCallPaging extends pulumi.ComponentResource {
  readonly routing: AlarmRouting;
  readonly topicArns: Record<Severity, pulumi.Output<string>>;

  constructor(name: string, args: OnCallPagingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("maintenance:paging:OnCallPaging", name, {}, opts);
    const [primary] = args.regions;
    if (!primary) throw new Error("OnCallPaging needs at least the primary region");
    const parent = { parent: this };
    const identity = aws.getCallerIdentityOutput({}, parent);
    const partition = aws.getPartitionOutput({}, parent);

    const regional: Record<string, Record<Severity, pulumi.Output<string>>> = {};
    for (const region of args.regions) {
      const kmsKeyArn = args.kmsKeyArns[region];
      if (!kmsKeyArn) throw new Error(`OnCallPaging: no messaging key for ${region}`);
      const suffix = region === primary ? "" : `-${region}`;
      const regionArg = region === primary ? {} : { region };
      const topics = {} as Record<Severity, pulumi.Output<string>>;
      for (const severity of SEVERITIES) {
        const topic = new aws.sns.Topic(
          `${name}-${severity}${suffix}`,
          {
            name: physicalName("snsTopic", args.namePrefix, "oncall", severity, ...(suffix ? [region] : [])),
            displayName: `${args.namePrefix} ${severity}`,
            kmsMasterKeyId: kmsKeyArn,
            tags: { ...args.tags, severity },
            ...regionArg,
          },
          parent,
        );
        new aws.sns.TopicPolicy(
          `${name}-${severity}${suffix}-policy`,
          {
            arn: topic.arn,
            policy: pulumi
              .all([topic.arn, partition.partition, identity.accountId])
              .apply(([arn, p, a]) =>
                JSON.stringify(topicPolicy(arn, { partition: p, account: a, region } as AccountContext)),
              ),
            ...regionArg,
          },
          parent,
        );
        this.subscribe(`${name}-${severity}${suffix}`, severity, topic, args, regionArg);
        topics[severity] = topic.arn;
      }
      regional[region] = topics;
    }
    this.topicArns = regional[primary]!;
    this.routing = {
      topicArns: this.topicArns,
      regionalTopicArns: regional,
      actionsEnabled: args.actionsEnabled,
      stack: args.stack,
      runbookBaseUrl: args.runbookBaseUrl,
    };

    // A topic that cannot deliver is a silent pager: alarm on it through a different channel.
    for (const region of args.regions) {
      for (const severity of SEVERITIES) {
        const topicName = physicalName(
          "snsTopic",
          args.namePrefix,
          "oncall",
          severity,
          ...(region === primary ? [] : [region]),
        );
        metricAlarm(
          `${name}-${severity}${region === primary ? "" : `-${region}`}-delivery`,
          {
            severity: FAILURE_ROUTE[severity],
            page: "paging-notifications-failed",
            summary: `SNS could not deliver ${severity} notifications (topic ${topicName}).`,
            metric: {
              namespace: "AWS/SNS",
              metricName: "NumberOfNotificationsFailed",
              dimensions: { TopicName: topicName },
              stat: "Sum",
            },
            periodSeconds: 300,
            evaluationPeriods: 1,
            threshold: 0,
            comparisonOperator: "GreaterThanThreshold",
            treatMissingData: "notBreaching",
            ...(region === primary ? {} : { region }),
          },
          this.routing,
          parent,
        );
      }
    }
    this.registerOutputs({ topicArns: this.topicArns });
  }

  private subscribe(
    id: string,
    severity: Severity,
    topic: aws.sns.Topic,
    args: OnCallPagingArgs,
    regionArg: { region?: string },
  ) {
    const parent = { parent: this };
    if (severity === "critical") {
      if (args.critical.pagerUrl) {
        new aws.sns.TopicSubscription(
          `${id}-pager`,
          {
            topic: topic.arn,
            protocol: "https",
            endpoint: pulumi.secret(args.critical.pagerUrl),
            // PagerDuty and Opsgenie CloudWatch integrations confirm SNS subscriptions themselves.
            endpointAutoConfirms: true,
            ...regionArg,
          },
          parent,
        );
      }
      return;
    }
    const channel = args[severity];
    for (const [i, email] of (channel.emails ?? []).entries()) {
      new aws.sns.TopicSubscription(
        `${id}-email-${i}`,
        { topic: topic.arn, protocol: "email", endpoint: email, ...regionArg },
        parent,
      );
    }
    if (channel.webhookUrl) {
      new aws.sns.TopicSubscription(
        `${id}-chat`,
        { topic: topic.arn, protocol: "https", endpoint: pulumi.secret(channel.webhookUrl), ...regionArg },
        parent,
      );
    }
  }
}
