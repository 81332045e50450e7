import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type S3rver from "s3rver";
import { lastPassAge } from "../../../lambdas/drill-age/handler";
import { startLocalS3 } from "../../support/local-s3";

let server: S3rver;
let s3: S3Client;
const BUCKET = "drill-reports";
const KEY = "arn:aws:kms:eu-west-2:123456789012:key/b";

beforeAll(async () => {
  ({ server, s3 } = await startLocalS3([BUCKET]));
});
afterAll(async () => {
  s3?.destroy();
  await server?.close();
});

it("counts from the first look until a drill passes, then from the last pass", async () => {
  const t0 = new Date("2027-01-01T00:40:00Z");
  expect(await lastPassAge(s3, BUCKET, KEY, "pg", t0)).toEqual({ age: 0, since: "watch-started" });
  const marker = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: "state/pg/watch-started.json" }));
  expect(JSON.parse(await marker.Body!.transformToString())).toEqual({ at: t0.toISOString() });
  // Days later, still no pass: the age keeps growing from the first look (it is not reset to 0).
  const later = new Date(t0.getTime() + 5 * 86_400_000);
  expect(await lastPassAge(s3, BUCKET, KEY, "pg", later)).toEqual({
    age: 5 * 86_400,
    since: "watch-started",
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: BUCKET,
      Key: "state/pg/last-pass.json",
      Body: JSON.stringify({ at: "2027-01-05T10:30:00.000Z", report: "reports/pg/20270105T103000Z.json" }),
    }),
  );
  expect(await lastPassAge(s3, BUCKET, KEY, "pg", later)).toEqual({
    age: 14 * 3600 + 10 * 60,
    since: "last-pass",
  });
});

it("refuses a marker without a valid time instead of reporting a made-up age", async () => {
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: "state/my/last-pass.json", Body: "{}" }));
  await expect(lastPassAge(s3, BUCKET, KEY, "my", new Date())).rejects.toThrow(/no valid "at" time/);
});
