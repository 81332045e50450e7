// The modules `npm run mutate` measures: the code that decides what to delete, what pages and when it runs, each with its own tests.

export interface MutationModule {
  /** The name given on the command line: `npm run mutate -- retention`. */
  readonly name: string;
  /** Source files Stryker mutates (repo-relative). */
  readonly mutate: readonly string[];
  /** The only test files run against the mutants: the module's own tests, so one module takes minutes. */
  readonly tests: readonly string[];
  /** Least mutation score accepted (issue 22: 95 for code that deletes, 90 for the rest). */
  readonly threshold: number;
}

// In run order: the slowest (schedule: hundreds of mutants under property tests) last.
export const MODULES: readonly MutationModule[] = [
  {
    name: "retention",
    mutate: ["lambdas/backup/retention.ts"],
    tests: ["test/lambdas/backup/retention.test.ts"],
    threshold: 95,
  },
  {
    name: "expiry",
    mutate: ["lambdas/logical-backup/expiry.ts"],
    tests: ["test/lambdas/logical-backup/expiry.test.ts"],
    threshold: 95,
  },
  {
    name: "snapshots",
    mutate: ["lambdas/backup/snapshots.ts", "lambdas/backup/job.ts"],
    // snapshots.ts also serves backup-verify, which reads what the pruner does not (encryption, the key).
    tests: ["test/lambdas/backup/job.test.ts", "test/lambdas/backup/verify.test.ts"],
    threshold: 95,
  },
  {
    // Archival and purge: which rows go (the cutoff or expiry filter, keyset batches, caps, dry run) and the refusals
    // (no unique key, other archive columns, a cutoff that would empty the table, no fresh verified dump).
    name: "db-maintenance",
    mutate: ["lambdas/db-maintenance/batches.ts", "lambdas/db-maintenance/backup-guard.ts"],
    // On the real PostgreSQL and MariaDB (scripts/ci/databases.sh); window.test.ts never reaches these files.
    tests: ["test/lambdas/db-maintenance/databases.test.ts"],
    threshold: 95,
  },
  {
    // The bash the host windows run: which files go (pattern, age, no symlinks or other filesystems), the bound on
    // how many, the dry run; and pgBackRest's config, whose repo1-retention-full expires base backups.
    name: "host-scripts",
    mutate: ["infra/host-maintenance/scripts.ts"],
    // Both run the generated scripts: real bash on a scratch tree; pgBackRest against local PostgreSQL and s3rver.
    tests: [
      "test/infra/host-maintenance/scripts.test.ts",
      "test/infra/host-maintenance/wal-archiving.test.ts",
    ],
    threshold: 95,
  },
  {
    name: "cert-check",
    mutate: ["lambdas/cert-check/check.ts"],
    tests: ["test/lambdas/cert-check/check.test.ts"],
    threshold: 90,
  },
  {
    name: "exporter",
    mutate: ["lambdas/log-archive/exporter.ts"],
    tests: ["test/lambdas/log-archive/exporter.test.ts"],
    threshold: 90,
  },
  {
    name: "schedule",
    mutate: ["infra/core/schedule.ts"],
    tests: ["test/infra/core/schedule.test.ts"],
    threshold: 90,
  },
];
