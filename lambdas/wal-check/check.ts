// Reads a pgBackRest S3 repository without pgBackRest: the newest archived WAL segment (by the archive's sortable
// directory layout) and the newest completed backup (backup.info), and how old each is.
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";

export interface WalStatus {
  /** Key of the newest archived WAL file, or null when the archive is empty. */
  readonly newestWal: string | null;
  readonly walAgeSeconds: number | null;
  /** Label of the newest backup that finished (pgBackRest records only completed backups in backup.info). */
  readonly newestBackup: string | null;
  readonly baseBackupAgeSeconds: number | null;
  readonly backups: number;
}

export interface RepoLocation {
  readonly bucket: string;
  readonly repoPath: string;
  readonly stanza: string;
}

type S3 = Pick<S3Client, "send">;

/** A completed backup as backup.info records it. */
export interface BackupEntry {
  /** When it finished (epoch seconds). */
  readonly stop: number;
  /** The last WAL segment it needs (every later segment was archived after it). */
  readonly archiveStop: string | null;
}

/** One INI section's `key=value` lines, as pgBackRest writes its info files (values JSON-encoded). */
function iniSection(text: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  let section = "";
  for (const line of text.split("\n")) {
    const header = /^\[(.+)\]\s*$/.exec(line);
    if (header) section = header[1]!;
    else if (section === name && line.indexOf("=") > 0)
      out.set(line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1));
  }
  return out;
}

/** Completed backups in backup.info's `[backup:current]` section, by label. */
export function parseBackupInfo(text: string): Map<string, BackupEntry> {
  const backups = new Map<string, BackupEntry>();
  for (const [label, value] of iniSection(text, "backup:current")) {
    const info = JSON.parse(value) as { "backup-timestamp-stop"?: unknown; "backup-archive-stop"?: unknown };
    const stop = info["backup-timestamp-stop"];
    if (typeof stop !== "number") throw new Error(`backup.info: backup ${label} has no stop time`);
    const archiveStop = info["backup-archive-stop"];
    backups.set(label, { stop, archiveStop: typeof archiveStop === "string" ? archiveStop : null });
  }
  return backups;
}

/** The archive directory of the current database system: `<db-version>-<db-id>` from archive.info's `[db]`. */
export function currentArchiveDir(archiveInfo: string): string {
  const db = iniSection(archiveInfo, "db");
  const id = db.get("db-id");
  const version = db.get("db-version");
  if (!id || !version) throw new Error("archive.info: no [db] db-id and db-version");
  return `${version.replace(/"/g, "")}-${id}`;
}

async function getText(s3: S3, bucket: string, key: string): Promise<string | null> {
  try {
    return await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    ).Body!.transformToString();
  } catch (e) {
    if ((e as { name?: string }).name === "NoSuchKey") return null;
    throw e;
  }
}

/**
 * Reads the repository's own records, never all of it: backup.info for the newest completed backup, archive.info for
 * the current archive directory, then only the WAL archived since that backup's last segment (WAL file names sort in
 * the order they were written; listing is paginated and bounded by one backup interval of WAL).
 */
export async function walStatus(s3: S3, repo: RepoLocation, now: Date): Promise<WalStatus> {
  const root = `${repo.repoPath.replace(/^\/+/, "")}/`;
  const info = await getText(s3, repo.bucket, `${root}backup/${repo.stanza}/backup.info`);
  const backups = info === null ? new Map<string, BackupEntry>() : parseBackupInfo(info);
  const newest = [...backups.entries()].sort((a, b) => a[1].stop - b[1].stop).at(-1);

  const archiveInfo = await getText(s3, repo.bucket, `${root}archive/${repo.stanza}/archive.info`);
  let newestWal: { key: string; at: number } | null = null;
  if (archiveInfo !== null) {
    const dir = `${root}archive/${repo.stanza}/${currentArchiveDir(archiveInfo)}/`;
    const stopSegment = newest?.[1].archiveStop;
    const startAfter = stopSegment ? `${dir}${stopSegment.slice(0, 16)}/${stopSegment}` : undefined;
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: repo.bucket,
          Prefix: dir,
          ...(token ? { ContinuationToken: token } : startAfter ? { StartAfter: startAfter } : {}),
        }),
      );
      for (const o of page.Contents ?? []) {
        const at = o.LastModified!.getTime();
        if (!newestWal || at > newestWal.at || (at === newestWal.at && o.Key! > newestWal.key))
          newestWal = { key: o.Key!, at };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
  const age = (ms: number) => Math.max(0, Math.round((now.getTime() - ms) / 1000));
  return {
    newestWal: newestWal?.key ?? null,
    walAgeSeconds: newestWal ? age(newestWal.at) : null,
    newestBackup: newest?.[0] ?? null,
    baseBackupAgeSeconds: newest ? age(newest[1].stop * 1000) : null,
    backups: backups.size,
  };
}
