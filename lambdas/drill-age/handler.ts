// Hourly: the age of each database's last passing restore drill (from the `last-pass.json` the drill rewrites), so an
// alarm can page when drills stop succeeding; a quarterly drill is far beyond CloudWatch's 7-day alarm window.
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { drillAgeConfigSchema, lastPassKey, watchStartedKey } from "../logical-backup/drill-config";
import { defineJob, putDimensioned } from "../shared/job";

const s3 = new S3Client({});

const isMissing = (e: unknown) =>
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404 ||
  (e as Error).name === "NoSuchKey";

async function readTime(client: Pick<S3Client, "send">, bucket: string, key: string): Promise<number | null> {
  try {
    const obj = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const at = Date.parse((JSON.parse(await obj.Body!.transformToString()) as { at?: string }).at ?? "");
    if (Number.isNaN(at)) throw new Error(`s3://${bucket}/${key} has no valid "at" time`);
    return at;
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/**
 * Seconds since the last passing drill of `database`. Before any drill has passed, the age counts from when this
 * report first looked (a marker it writes once): a new stack's first drill must pass within the same window, and
 * a drill that never runs at all still pages.
 */
export async function lastPassAge(
  client: Pick<S3Client, "send">,
  bucket: string,
  kmsKeyArn: string,
  database: string,
  now: Date,
): Promise<{ age: number; since: "last-pass" | "watch-started" }> {
  const age = (at: number) => Math.max(0, Math.round((now.getTime() - at) / 1000));
  const pass = await readTime(client, bucket, lastPassKey(database));
  if (pass !== null) return { age: age(pass), since: "last-pass" };
  const started = await readTime(client, bucket, watchStartedKey(database));
  if (started !== null) return { age: age(started), since: "watch-started" };
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: watchStartedKey(database),
      Body: JSON.stringify({ at: now.toISOString() }),
      ContentType: "application/json",
      ServerSideEncryption: "aws:kms",
      SSEKMSKeyId: kmsKeyArn,
      // Written once: a second writer racing this one keeps the first time.
      IfNoneMatch: "*",
    }),
  );
  return { age: 0, since: "watch-started" };
}

export const handler = defineJob({
  job: "drill-age",
  event: z.object({ scheduledTime: z.string().optional() }).strict(),
  config: drillAgeConfigSchema,
  run: async (_event, ctx) => {
    const ages: Record<string, number> = {};
    for (const database of ctx.config.databases) {
      const { age, since } = await lastPassAge(
        s3,
        ctx.config.reportsBucket,
        ctx.config.kmsKeyArn,
        database,
        ctx.now(),
      );
      ages[database] = age;
      if (since === "watch-started") ctx.logger.info("no passing restore drill yet", { database, age });
      putDimensioned(ctx.metrics, { name: "Database", value: database }, [
        { metric: "SecondsSinceLastGoodDrill", unit: MetricUnit.Seconds, value: age },
      ]);
    }
    return ages;
  },
});
