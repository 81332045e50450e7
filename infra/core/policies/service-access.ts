// Resource policies that let one AWS service reach one of the stack's resources, and nothing else: pure, so tests
// assert them exactly.
import { type PolicyDocument, policy } from "./document";

/** The dump image repository: only Lambda, and only for this account's functions in this region, may pull. */
export function lambdaPullPolicy(partition: string, region: string, account: string): PolicyDocument {
  return policy([
    {
      Sid: "LambdaPullForThisAccountsFunctions",
      Effect: "Allow",
      Principal: { Service: "lambda.amazonaws.com" },
      Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
      Condition: {
        StringLike: { "aws:sourceArn": `arn:${partition}:lambda:${region}:${account}:function:*` },
      },
    },
  ]);
}

/** A Fargate job's failure queue: only its task-failed rule may send, as EventBridge. */
export function eventsToQueuePolicy(queueArn: string, ruleArn: string): PolicyDocument {
  return policy([
    {
      Sid: "OnlyThisRuleSends",
      Effect: "Allow",
      Principal: { Service: "events.amazonaws.com" },
      Action: "sqs:SendMessage",
      Resource: queueArn,
      Condition: { ArnEquals: { "aws:SourceArn": ruleArn } },
    },
  ]);
}
