// Bucket policy for retained buckets: TLS only, and objects written only with SSE-KMS under the bucket's own key.
import { type PolicyDocument, policy } from "./document";

/**
 * Default encryption applies the bucket's key when a put carries no encryption header (the checkpoint writes, the
 * Logs export service), so every deny triggers only on a header that is present and asks for something else
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html): an unencrypted or SSE-S3
 * put, a put naming a different KMS key, or `aws:kms` without naming a key (S3 would use the aws/s3 key). An
 * `...IfExists` operator would be true when the header is absent and deny the header-less writers.
 */
export function retainedBucketPolicy(bucketArn: string, kmsKeyArn: string): PolicyDocument {
  return policy([
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [bucketArn, `${bucketArn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
    {
      Sid: "DenyPutsNotEncryptedWithKms",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: `${bucketArn}/*`,
      Condition: {
        StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        Null: { "s3:x-amz-server-side-encryption": "false" },
      },
    },
    {
      Sid: "DenyPutsWithAnotherKmsKey",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: `${bucketArn}/*`,
      Condition: {
        StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyArn },
        Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
      },
    },
    {
      // SSE-C carries none of the headers above: a put with a customer-provided key would land outside KMS.
      Sid: "DenyCustomerProvidedKeys",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: `${bucketArn}/*`,
      Condition: { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } },
    },
    {
      Sid: "DenyKmsPutsWithoutTheKey",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:PutObject",
      Resource: `${bucketArn}/*`,
      Condition: {
        StringEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
        Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "true" },
      },
    },
  ]);
}
