// The retained-bucket policy as AWS evaluates it (iam-simulate): exactly the intended writers' puts are allowed.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { retainedBucketPolicy } from "../../../../infra/core/policies/bucket-policy";

const BUCKET = "arn:aws:s3:::backups";
const KEY = "arn:aws:kms:eu-west-2:123456789012:key/ours";
const ROLE = "arn:aws:iam::123456789012:role/job";
const allowPut = {
  name: "job",
  policy: {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "s3:PutObject", Resource: `${BUCKET}/*` }],
  },
};

async function put(headers: Record<string, string>): Promise<string> {
  const r = await runSimulation(
    {
      identityPolicies: [allowPut],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: retainedBucketPolicy(BUCKET, KEY),
      request: {
        principal: ROLE,
        action: "s3:PutObject",
        resource: { resource: `${BUCKET}/k`, accountId: "123456789012" },
        contextVariables: { "aws:SecureTransport": "true", ...headers },
      },
    } as never,
    {},
  );
  return r.resultType === "error" ? "error" : String(r.overallResult);
}

describe("retained bucket policy, evaluated", () => {
  it.each([
    [
      "no encryption header (default encryption applies: checkpoints, the Logs export, UploadPart)",
      {},
      "Allowed",
    ],
    [
      "aws:kms with this bucket's key (dumps, Firehose)",
      { "s3:x-amz-server-side-encryption": "aws:kms", "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY },
      "Allowed",
    ],
    [
      "aws:kms with another key",
      {
        "s3:x-amz-server-side-encryption": "aws:kms",
        "s3:x-amz-server-side-encryption-aws-kms-key-id": "arn:aws:kms:eu-west-2:123456789012:key/other",
      },
      "ExplicitlyDenied",
    ],
    [
      "aws:kms without a key id (S3 would use aws/s3)",
      { "s3:x-amz-server-side-encryption": "aws:kms" },
      "ExplicitlyDenied",
    ],
    ["SSE-S3", { "s3:x-amz-server-side-encryption": "AES256" }, "ExplicitlyDenied"],
    ["SSE-C", { "s3:x-amz-server-side-encryption-customer-algorithm": "AES256" }, "ExplicitlyDenied"],
  ])("%s: %s", async (_what, headers, expected) => {
    expect(await put(headers as Record<string, string>)).toBe(expected);
  });
});
