// Bucket policy for retained buckets: TLS only, and objects written only with SSE-KMS under the bucket's own key.
import { type PolicyDocument, policy } from "./document";

/**
 * Default encryption already applies the key when a put carries no encryption header, so the denies only trigger
 * when a request *asks* for something else (the pattern in
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html): an unencrypted or SSE-S3
 * put, or a put naming a different KMS key.
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
      Condition: { StringNotEqualsIfExists: { "s3:x-amz-server-side-encryption-aws-kms-key-id": kmsKeyArn } },
    },
  ]);
}
