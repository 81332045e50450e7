// Which dumps may go: S3 lifecycle expires only dumps tagged expire=true, and only this module's rules tag them, so
// age alone never deletes a backup. Per tier the newest `floor` dumps are never marked, nothing younger than the
// tier's retention is marked, and nothing at all is marked while the database's newest good dump is stale. A dump
// whose slot lies in the future (typed by hand) holds no place in the floor and proves no freshness.
import { GetObjectTaggingCommand, PutObjectTaggingCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Log } from "../shared/log";
import { aheadBy, isSlotAhead, MAX_SLOT_AHEAD_MS } from "../shared/slot";
import { EXPIRE_TAG, KEEP_TAG } from "./config";
import { manifestKey } from "./manifest";
import { isFromTheFuture, type StoredDump } from "./verify";

export interface ExpiryPolicy {
  /** Retention in days per tier (tiers not listed are never marked). */
  readonly retentionDays: Readonly<Record<string, number>>;
  /** Newest dumps per tier that are never marked, whatever their age. */
  readonly keepLastFloor: number;
  /** Nothing is marked while the newest good dump is older than this (or there is none). */
  readonly freshnessSeconds: number;
  readonly maxMarksPerRun: number;
  readonly dryRun: boolean;
}

const DAY_MS = 86_400_000;

/** Pure: the dumps past their tier's retention beyond the newest `floor` of that tier, oldest first. */
export function expiryCandidates(
  dumps: readonly StoredDump[],
  policy: Pick<ExpiryPolicy, "retentionDays" | "keepLastFloor">,
  now: Date,
): StoredDump[] {
  if (!Number.isInteger(policy.keepLastFloor) || policy.keepLastFloor < 1)
    throw new Error(`keepLastFloor ${policy.keepLastFloor} must be a whole number >= 1`);
  const out: StoredDump[] = [];
  const tiers = new Set(dumps.map((d) => d.tier));
  for (const tier of tiers) {
    const days = policy.retentionDays[tier];
    if (days === undefined || !(days >= 1)) continue;
    // A dump from the future (typed by hand) takes no place in the floor: the floor keeps dumps that really ran.
    // It still expires once its slot is past the tier's retention, so it never stays forever.
    const ofTier = dumps.filter((d) => d.tier === tier).sort((a, b) => b.at - a.at);
    const floor = new Set(ofTier.filter((d) => !isFromTheFuture(d, now)).slice(0, policy.keepLastFloor));
    for (const d of ofTier) {
      if (!floor.has(d) && now.getTime() - d.at > days * DAY_MS) out.push(d);
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

export interface ExpiryResult {
  readonly marked: string[];
  /** Dumps an operator pinned with keep=true after they were marked: their expire tag was taken off again. */
  readonly unmarked: string[];
  /** Why nothing was marked, when the run refused. */
  readonly refused?: string;
}

/** What this run's verification found, which decides whether anything may be marked at all. */
export interface VerificationState {
  /** The newest dump verified (false: it failed, or there is none). */
  readonly ok: boolean;
  /** Age of the newest good dump, in seconds; null when none is good. */
  readonly newestGoodAgeSeconds: number | null;
}

/**
 * Tags the candidates expire=true (keeping their other tags), writing at most maxMarksPerRun tags, unless the run
 * must refuse: the newest dump failed verification, no dump is good, or the newest good one is older than
 * freshnessSeconds (or its slot lies in the future, so its age proves nothing). A dump tagged keep=true is never marked, and loses an expire tag it got before it was pinned.
 * In dry-run only the log says what would go.
 */
/**
 * Gives a dump's manifest the dump's tags. A dump from before manifests (or whose manifest failed) has none: nothing
 * to tag, and no failure of the marking.
 */
async function tagManifest(
  s3: Pick<S3Client, "send">,
  d: StoredDump,
  tagSet: { Key?: string; Value?: string }[],
): Promise<void> {
  let key: string;
  try {
    key = manifestKey(d.key);
  } catch {
    return;
  }
  await s3
    .send(new PutObjectTaggingCommand({ Bucket: d.bucket, Key: key, Tagging: { TagSet: tagSet as never } }))
    .catch(() => undefined);
}

export async function markExpired(
  s3: Pick<S3Client, "send">,
  dumps: readonly StoredDump[],
  verification: VerificationState,
  policy: ExpiryPolicy,
  now: Date,
  log: Log,
): Promise<ExpiryResult> {
  const age = verification.newestGoodAgeSeconds;
  const refused = !verification.ok
    ? "the newest dump did not verify: nothing goes until it does (or a newer one does)"
    : age === null
      ? "no dump of this database verifies"
      : age * 1000 < -MAX_SLOT_AHEAD_MS
        ? `the newest good dump's slot lies ${aheadBy(-age * 1000)} ahead of the clock: its age says nothing about the dumps that really ran`
        : age > policy.freshnessSeconds
          ? `the newest good dump is ${Math.round(age / 3600)}h old, over ${Math.round(policy.freshnessSeconds / 3600)}h`
          : undefined;
  if (refused) {
    log.warn("marking no dump for expiry", { refused });
    return { marked: [], unmarked: [], refused };
  }
  const marked: string[] = [];
  const unmarked: string[] = [];
  const isTrue = (tags: { Key?: string; Value?: string }[], key: string) =>
    tags.some((t) => t.Key === key && t.Value === "true");
  // Every candidate is looked at (a pinned dump loses a stale expire tag whatever the cap); only new marks count.
  for (const d of expiryCandidates(dumps, policy, now)) {
    const tagging = await s3.send(new GetObjectTaggingCommand({ Bucket: d.bucket, Key: d.key }));
    const tags = tagging.TagSet ?? [];
    // The dump's manifest (row counts, beside it) carries the same tags, so the same lifecycle rule takes both.
    const put = async (tagSet: typeof tags) => {
      await s3.send(
        new PutObjectTaggingCommand({ Bucket: d.bucket, Key: d.key, Tagging: { TagSet: tagSet } }),
      );
      await tagManifest(s3, d, tagSet);
    };
    if (isTrue(tags, KEEP_TAG)) {
      if (isTrue(tags, EXPIRE_TAG) && !policy.dryRun) {
        await put(tags.filter((t) => t.Key !== EXPIRE_TAG));
        unmarked.push(d.key);
      }
      log.info("kept by its keep=true tag", { bucket: d.bucket, key: d.key });
      continue;
    }
    if (isTrue(tags, EXPIRE_TAG) || marked.length >= policy.maxMarksPerRun) continue;
    if (policy.dryRun) {
      log.info("dry run: would mark for expiry", { bucket: d.bucket, key: d.key });
      continue;
    }
    await put([...tags.filter((t) => t.Key !== EXPIRE_TAG), { Key: EXPIRE_TAG, Value: "true" }]);
    marked.push(d.key);
  }
  if (marked.length) log.info("marked for expiry", { keys: marked });
  if (unmarked.length) log.warn("pinned by keep=true after marking: expire tag removed", { keys: unmarked });
  return { marked, unmarked };
}
