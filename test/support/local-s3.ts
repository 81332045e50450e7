// The S3 protocol server the job tests write to (s3rver on a free loopback port, in a fresh directory), with a client
// pointed at it and the buckets a test needs; one place instead of a copy per test file.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

export interface LocalS3 {
  readonly server: S3rver;
  readonly s3: S3Client;
  readonly port: number;
}

export async function startLocalS3(buckets: readonly string[], region = "eu-west-2"): Promise<LocalS3> {
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: mkdtempSync(join(tmpdir(), "s3rver-")),
  });
  const { port } = (await server.run()) as unknown as { port: number };
  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  for (const bucket of buckets) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return { server, s3, port };
}
