// The age of a database's newest verified dump, read where the verification job records it: dumps under
// `<tier>/<database>/` in the backups buckets, tagged `verified=ok` once checked (lambdas/logical-backup/verify.ts).
// A task that deletes or rewrites data refuses to start while that age exceeds the RPO, or no dump is verified.
import { GetObjectTaggingCommand, type S3Client } from "@aws-sdk/client-s3";
import { dumpsOf, isFromTheFuture, VERIFIED_TAG } from "../logical-backup/verify";
import type { BackupGuard } from "./config";

/** Dumps looked at, newest first, before concluding that none is verified (the verifier tries three per run). */
export const MAX_DUMPS_LOOKED_AT = 10;

export interface BackupAge {
  /** Seconds since the newest verified dump's slot; null when none of the newest dumps is verified. */
  readonly ageSeconds: number | null;
  readonly key: string | null;
}

export async function newestVerifiedDump(s3: S3Client, g: BackupGuard, now: Date): Promise<BackupAge> {
  const dumps = (await dumpsOf(s3, g.buckets, g.database)).filter((d) => !isFromTheFuture(d, now));
  for (const d of dumps.slice(0, MAX_DUMPS_LOOKED_AT)) {
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: d.bucket, Key: d.key }));
    if (tags.TagSet?.some((t) => t.Key === VERIFIED_TAG && t.Value === "ok"))
      return { ageSeconds: Math.round((now.getTime() - d.at) / 1000), key: d.key };
  }
  return { ageSeconds: null, key: null };
}

/** Why a rewriting task must not start, or null when the newest verified dump is within the RPO. */
export function staleBackupReason(age: BackupAge, g: BackupGuard): string | null {
  if (age.ageSeconds === null)
    return `no verified dump of ${g.database} among its newest ${MAX_DUMPS_LOOKED_AT}: nothing to restore from`;
  if (age.ageSeconds > g.rpoSeconds)
    return `the newest verified dump of ${g.database} (${age.key}) is ${Math.round(age.ageSeconds / 3600)}h old, over its RPO of ${g.rpoSeconds / 3600}h`;
  return null;
}
