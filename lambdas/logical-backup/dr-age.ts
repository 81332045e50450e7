// The age of a database's newest DR copy: the newest replica in the DR region that carries the source's
// `verified=ok` tag. S3 Replication carries the source's later tag changes to the replica, so the tag arriving there
// shows both that the dump was replicated and that tag changes (the `expire` mark too) still reach the DR region.
import { GetObjectTaggingCommand, type S3Client } from "@aws-sdk/client-s3";
import { VERIFIED_TAG, dumpsOf, isFromTheFuture } from "./verify";

/** Replicas looked at per database, newest first: tag reads are cheap, and the newest few may await their verdict. */
export const DR_MAX_CHECKS = 10;

export interface DrAge {
  /** The newest verified replica's key, or null when none of the newest DR_MAX_CHECKS is. */
  readonly key: string | null;
  readonly ageSeconds: number | null;
  /** Replicas of the database in the DR buckets. */
  readonly replicas: number;
}

/** Reads only listings and tags in the DR region (no download crosses regions; the restore drill reads the bytes). */
export async function newestVerifiedReplica(
  s3: S3Client,
  buckets: readonly string[],
  database: string,
  now: Date,
): Promise<DrAge> {
  const replicas = (await dumpsOf(s3, buckets, database)).filter((d) => !isFromTheFuture(d, now));
  for (const d of replicas.slice(0, DR_MAX_CHECKS)) {
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: d.bucket, Key: d.key }));
    if (tags.TagSet?.some((t) => t.Key === VERIFIED_TAG && t.Value === "ok"))
      return {
        key: d.key,
        ageSeconds: Math.max(0, Math.round((now.getTime() - d.at) / 1000)),
        replicas: replicas.length,
      };
  }
  return { key: null, ageSeconds: null, replicas: replicas.length };
}
