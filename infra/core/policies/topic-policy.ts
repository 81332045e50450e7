// SNS topic policy for paging topics: TLS only, and only this account's alarms and EventBridge may publish.
import type { AccountContext } from "./key-policy";
import { type PolicyDocument, policy } from "./document";

export function topicPolicy(topicArn: string, ctx: AccountContext): PolicyDocument {
  return policy([
    {
      Sid: "AccountOwnerManages",
      Effect: "Allow",
      Principal: { AWS: `arn:${ctx.partition}:iam::${ctx.account}:root` },
      Action: [
        "sns:GetTopicAttributes",
        "sns:SetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:Subscribe",
        "sns:Publish",
      ],
      Resource: topicArn,
    },
    {
      Sid: "CloudWatchAlarmsOfThisAccountPublish",
      Effect: "Allow",
      Principal: { Service: "cloudwatch.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: {
        StringEquals: { "aws:SourceAccount": ctx.account },
        ArnLike: { "aws:SourceArn": `arn:${ctx.partition}:cloudwatch:${ctx.region}:${ctx.account}:alarm:*` },
      },
    },
    {
      Sid: "EventBridgeOfThisAccountPublishes",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: { StringEquals: { "aws:SourceAccount": ctx.account } },
    },
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "sns:Publish",
      Resource: topicArn,
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
  ]);
}
