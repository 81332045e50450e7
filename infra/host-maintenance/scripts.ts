// The bash scripts the host maintenance windows run through Run Command (AWS-RunShellScript): one per host and window,
// its tasks in order, stopping at the first failure. Pure: the same config always gives the same script, byte for byte.
import { type HostTask, unsafePathProblem, type WalArchivingConfig } from "../config/hosts";

/** Where a host's scripts put files and metrics, and in which region. */
export interface ScriptContext {
  readonly host: string;
  readonly window: string;
  readonly region: string;
  /** The host files bucket (synced folders under `hosts/<host>/`). */
  readonly bucket: string;
  /** The key synced objects are encrypted with (the bucket's key). */
  readonly kmsKeyArn: string;
  /** CloudWatch namespace of the stack's own metrics. */
  readonly namespace: string;
  readonly dryRun: boolean;
}

/** Single-quotes a word for bash: nothing inside is expanded; a `'` becomes `'\''`. */
export function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The metric dimension of every host chore metric. */
export const HOST_METRIC_SERVICE = "host-maintenance";

/** What a redis-memory task publishes, per host and task (dimensions service, Host, Task). */
export const REDIS_METRICS = {
  usedMemory: "RedisUsedMemory",
  fragmentation: "RedisFragmentationRatio",
} as const;

const PRELUDE = String.raw`set -euo pipefail
umask 077
export LC_ALL=C
log() { printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }
fail() { log "FAILED: $*"; exit 1; }
current=""
finish() { rc=$?; if [ "$rc" -ne 0 ]; then log "task $current failed (exit $rc); the tasks after it did not run"; fi; }
trap finish EXIT
# Lists the regular files under $1 (not following symlinks, not crossing filesystems) named like $2, last modified
# more than $3 minutes ago, NUL-separated into the file $5; refuses when more than $4 match.
select_files() {
  [ -d "$1" ] || fail "$1 is not a directory"
  [ ! -L "$1" ] || fail "$1 is a symbolic link; name the real directory"
  find "$1" -xdev -type f -name "$2" ! -name '*.gz.tmp' -mmin "+$3" -print0 > "$5"
  n=$(tr -cd '\0' < "$5" | wc -c)
  if [ "$n" -gt "$4" ]; then fail "$n files match $2 in $1, more than the bound of $4: nothing was changed"; fi
}
delete_files() {
  list=$(mktemp); select_files "$1" "$2" "$3" "$4" "$list"
  if [ "$DRY_RUN" = 1 ]; then log "dry run: would delete $n files:"; tr '\0' '\n' < "$list"; rm -f "$list"; return 0; fi
  if [ "$n" -gt 0 ]; then xargs -0 rm -f -- < "$list"; fi
  rm -f "$list"; log "deleted $n files"
}
compress_files() {
  list=$(mktemp); select_files "$1" "$2" "$3" "$4" "$list"
  if [ "$DRY_RUN" = 1 ]; then log "dry run: would compress $n files:"; tr '\0' '\n' < "$list"; rm -f "$list"; return 0; fi
  # gzip keeps each file's modification time and refuses to overwrite an existing .gz.
  if [ "$n" -gt 0 ]; then xargs -0 gzip -- < "$list"; fi
  rm -f "$list"; log "compressed $n files"
}
`;

function taskBody(t: HostTask, c: ScriptContext): string {
  const checkPath = (p: string) => {
    const problem = unsafePathProblem(p);
    // The config refuses these already; a script is never generated around an unsafe path.
    if (problem) throw new Error(`host ${c.host} task ${t.name}: path ${JSON.stringify(p)} ${problem}`);
    return shq(p);
  };
  switch (t.kind) {
    case "prune-docker-images": {
      const prune = `docker image prune -af --filter ${shq(`until=${t.olderThanHours}h`)}`;
      return c.dryRun
        ? `log ${shq(`dry run: would run ${prune}`)}\ndocker system df`
        : `${prune}\ndocker system df`;
    }
    case "delete-files":
      return `delete_files ${checkPath(t.path)} ${shq(t.pattern)} ${t.olderThanDays * 1440} ${t.maxFiles}`;
    case "compress-files":
      return `compress_files ${checkPath(t.path)} ${shq(t.pattern)} ${t.olderThanDays * 1440} ${t.maxFiles}`;
    case "sync-to-archive": {
      const filter = t.include ? ` --exclude '*' --include ${shq(t.include)}` : "";
      const target = shq(`s3://${c.bucket}/hosts/${c.host}/${t.prefix}/`);
      return (
        `aws s3 sync ${checkPath(t.path)} ${target}${filter} --no-follow-symlinks --sse aws:kms ` +
        `--sse-kms-key-id ${shq(c.kmsKeyArn)} --only-show-errors --no-progress --region ${shq(c.region)}` +
        (c.dryRun ? " --dryrun" : "")
      );
    }
    case "certbot-dry-run":
      // A failed dry run fails the task: renewal would fail the same way when it is due.
      return t.container
        ? `docker exec ${shq(t.container)} certbot renew --dry-run`
        : "certbot renew --dry-run";
    case "redis-memory": {
      // Read-only (also in a dry run): INFO memory's lines are `field:value\r\n`; both values must be numbers.
      const cli = t.container ? `docker exec ${shq(t.container)} redis-cli` : "redis-cli";
      const put = (metric: string, unit: string, value: string) =>
        `aws cloudwatch put-metric-data --region ${shq(c.region)} --namespace ${shq(c.namespace)} ` +
        `--metric-name ${metric} --unit ${unit} --value "${value}" ` +
        `--dimensions ${shq(`service=${HOST_METRIC_SERVICE},Host=${c.host},Task=${t.name}`)}`;
      return [
        `info=$(${cli} INFO memory | tr -d '\\r')`,
        String.raw`used=$(printf '%s\n' "$info" | awk -F: '$1 == "used_memory" { print $2 }')`,
        String.raw`frag=$(printf '%s\n' "$info" | awk -F: '$1 == "mem_fragmentation_ratio" { print $2 }')`,
        String.raw`[[ "$used" =~ ^[0-9]+$ && "$frag" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "redis-cli INFO memory gave used_memory '$used' and mem_fragmentation_ratio '$frag', not numbers"`,
        `log "redis: used_memory $used bytes, mem_fragmentation_ratio $frag"`,
        put(REDIS_METRICS.usedMemory, "Bytes", "$used"),
        put(REDIS_METRICS.fragmentation, "None", "$frag"),
      ].join("\n");
    }
    case "disk-usage":
      return t.paths
        .map((p) =>
          [
            `pct=$(df -P ${shq(p)} | awk 'NR==2 { gsub("%", "", $5); print $5 }')`,
            `log "${p} is $pct% used"`,
            `aws cloudwatch put-metric-data --region ${shq(c.region)} --namespace ${shq(c.namespace)} ` +
              `--metric-name DiskUsedPercent --unit Percent --value "$pct" ` +
              `--dimensions ${shq(`service=${HOST_METRIC_SERVICE},Host=${c.host},Path=${p}`)}`,
          ].join("\n"),
        )
        .join("\n");
  }
}

/** One host's script for one window: its tasks in config order; the first that fails stops the rest. */
export function hostScript(tasks: readonly HostTask[], c: ScriptContext): string {
  const parts = tasks.map((t) => {
    const fn = `task_${t.name.replace(/-/g, "_")}`;
    return [
      `${fn}() {`,
      taskBody(t, c)
        .split("\n")
        .map((l) => `  ${l}`)
        .join("\n"),
      "}",
      `current=${shq(t.name)}; log ${shq(`task ${t.name} (${t.kind}): start`)}`,
      fn,
      `log ${shq(`task ${t.name}: ok`)}`,
    ].join("\n");
  });
  return [
    "#!/bin/bash",
    `# maintenance-stack: host ${c.host}, window ${c.window}. Generated from the stack file; do not edit on the host.`,
    PRELUDE,
    `DRY_RUN=${c.dryRun ? 1 : 0}`,
    ...parts,
    `current=""; log ${shq(`host ${c.host}, window ${c.window}: ${tasks.length} tasks ok`)}`,
    "",
  ].join("\n");
}

/** pgBackRest's config for the stanza: an S3 repository in the WAL bucket, instance-profile credentials, SSE-KMS. */
export function pgbackrestConf(
  w: WalArchivingConfig,
  repo: { bucket: string; region: string; kmsKeyArn: string },
) {
  return [
    "[global]",
    "repo1-type=s3",
    `repo1-path=${walRepoPath(w)}`,
    `repo1-s3-bucket=${repo.bucket}`,
    `repo1-s3-endpoint=s3.${repo.region}.amazonaws.com`,
    `repo1-s3-region=${repo.region}`,
    // The instance profile's credentials (IMDS), never a key in a file.
    "repo1-s3-key-type=auto",
    `repo1-s3-kms-key-id=${repo.kmsKeyArn}`,
    "repo1-retention-full-type=count",
    `repo1-retention-full=${w.retentionFull}`,
    "compress-type=zst",
    `process-max=${w.processMax}`,
    "start-fast=y",
    "log-level-console=info",
    "",
    `[${w.stanza}]`,
    `pg1-path=${w.dataDirectory}`,
    "",
  ].join("\n");
}

/** The repository's path in the WAL bucket: one per stanza. */
export function walRepoPath(w: Pick<WalArchivingConfig, "stanza">): string {
  return `/pgbackrest/${w.stanza}`;
}

/** The postgresql.conf settings that archive every WAL segment into the repository (shown in the plan). */
export function postgresqlSettings(w: WalArchivingConfig): Record<string, string> {
  return {
    archive_mode: "on",
    archive_command: `'pgbackrest --stanza=${w.stanza} archive-push %p'`,
    archive_timeout: String(w.archiveTimeoutSeconds),
    wal_level: "replica",
  };
}

/**
 * The base-backup window's script: write pgBackRest's config, create the stanza (idempotent), `check` that archiving
 * really works (fails when archive_command is not set), then back up; pgBackRest expires by `repo1-retention-full`
 * after each backup, never below it.
 */
export function baseBackupScript(
  w: WalArchivingConfig,
  c: ScriptContext & { readonly conf: string; readonly confPath?: string; readonly runAs?: string },
): string {
  const confPath = c.confPath ?? "/etc/pgbackrest/pgbackrest.conf";
  const as = c.runAs ?? "postgres";
  const pgbr = (cmd: string) =>
    `${as === "" ? "" : `runuser -u ${shq(as)} -- `}pgbackrest --config=${shq(confPath)} --stanza=${shq(w.stanza)} ${cmd}`;
  const body = [
    `mkdir -p "$(dirname ${shq(confPath)})"`,
    `tmp=$(mktemp ${shq(`${confPath}.XXXXXX`)})`,
    `printf '%s' ${shq(c.conf)} > "$tmp"`,
    `chmod 0644 "$tmp"; mv -f "$tmp" ${shq(confPath)}`,
    pgbr("stanza-create"),
    pgbr("check"),
    c.dryRun
      ? `log ${shq(`dry run: would run pgbackrest backup --type=${w.baseBackup.type}`)}`
      : pgbr(`backup --type=${w.baseBackup.type}`),
    pgbr("info"),
  ].join("\n  ");
  return [
    "#!/bin/bash",
    `# maintenance-stack: WAL archiving base backup of stanza ${w.stanza} on host ${c.host}. Generated; do not edit.`,
    PRELUDE,
    `DRY_RUN=${c.dryRun ? 1 : 0}`,
    `task_base_backup() {\n  ${body}\n}`,
    `current='base-backup'; log ${shq(`base backup of ${w.stanza}: start`)}`,
    "task_base_backup",
    `current=""; log ${shq(`base backup of ${w.stanza}: ok`)}`,
    "",
  ].join("\n");
}
