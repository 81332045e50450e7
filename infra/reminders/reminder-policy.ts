// The reminder schedules' role (pure): publish only to the severity topics reminders use, dead-letter only to their
// own queues, and use only the messaging key those topics and queues are encrypted with.
import { type PolicyDocument, policy } from "../core/policies/document";

export function reminderSchedulerPolicy(
  topicArns: readonly string[],
  dlqArns: readonly string[],
  keyArns: readonly string[],
): PolicyDocument {
  return policy([
    { Sid: "PublishToReminderTopics", Effect: "Allow", Action: "sns:Publish", Resource: [...topicArns] },
    { Sid: "DeadLetterToOwnQueues", Effect: "Allow", Action: "sqs:SendMessage", Resource: [...dlqArns] },
    {
      Sid: "UseTheTopicsKey",
      Effect: "Allow",
      // SNS and SQS call KMS with the sender's credentials for an encrypted topic or queue.
      // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
      Action: ["kms:GenerateDataKey", "kms:Decrypt"],
      Resource: [...new Set(keyArns)],
    },
  ]);
}
