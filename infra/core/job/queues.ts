// The job's SQS queues (the failure queue and each schedule's DLQ): encrypted with the messaging key, kept 14 days.
import type * as aws from "@pulumi/aws";
import type { MaintenanceJobArgs } from "./job-args";

export function jobQueueArgs(
  args: Pick<MaintenanceJobArgs, "messagingKmsKeyArn" | "tags">,
  queueName: string,
): aws.sqs.QueueArgs {
  return {
    name: queueName,
    kmsMasterKeyId: args.messagingKmsKeyArn,
    kmsDataKeyReusePeriodSeconds: 300,
    // SQS's maximum: failed events stay 14 days for inspection and redrive.
    messageRetentionSeconds: 1_209_600,
    tags: args.tags,
  };
}
