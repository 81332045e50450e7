// The settings read back from generated host scripts are exactly those they were generated from, and the plan diff
// flags a host chore that would delete sooner, more, elsewhere, or for real instead of in a dry run.
import { hostTask, walArchiving } from "../../../infra/config/hosts";
import { hostScriptSettings } from "../../../infra/host-maintenance/script-settings";
import {
  baseBackupScript,
  hostScript,
  pgbackrestConf,
  type ScriptContext,
} from "../../../infra/host-maintenance/scripts";
import { diffPlans } from "../../../scripts/plan/diff";

const ctx = (over: Partial<ScriptContext> = {}): ScriptContext => ({
  host: "app",
  window: "daily",
  region: "us-east-1",
  bucket: "b",
  kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:key/k",
  namespace: "Maintenance/s",
  dryRun: false,
  ...over,
});

const chores = (over: Record<string, unknown> = {}) =>
  [
    {
      name: "old-logs",
      kind: "delete-files",
      path: "/srv/app/it's logs",
      pattern: "*.log.gz",
      olderThanDays: 30,
      maxFiles: 500,
    },
    { name: "squeeze", kind: "compress-files", path: "/srv/app/logs", pattern: "*.log", olderThanDays: 7 },
    { name: "images", kind: "prune-docker-images", olderThanHours: 168 },
    { name: "renew", kind: "certbot-dry-run" },
  ].map((t) => hostTask.parse({ window: "daily", ...t, ...(over[t.name] as object) }));

const windowTask = (script: string) => ({
  type: "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
  name: "s-hosts-daily-app-chores",
  parent: null,
  region: "us-east-1",
  inputs: {
    name: "s-hosts-daily-app-chores",
    taskArn: "AWS-RunShellScript",
    taskInvocationParameters: {
      runCommandParameters: { parameters: [{ name: "commands", values: [script] }] },
    },
  },
});

const dangers = (before: string, after: string) =>
  diffPlans(
    { stack: "s", resources: [windowTask(before)] },
    { stack: "s", resources: [windowTask(after)] },
  ).changes.flatMap((c) => c.dangers);

const at = "taskInvocationParameters.runCommandParameters.parameters[commands].values[0].script";

describe("hostScriptSettings", () => {
  it("reads back each task's files, age, bound and the dry run from the generated script", () => {
    expect(hostScriptSettings(hostScript(chores(), ctx({ dryRun: true })))).toEqual({
      dryRun: true,
      tasks: [
        {
          name: "old-logs",
          kind: "delete-files",
          files: "/srv/app/it's logs/*.log.gz",
          olderThanDays: 30,
          maxFiles: 500,
        },
        {
          name: "squeeze",
          kind: "compress-files",
          files: "/srv/app/logs/*.log",
          olderThanDays: 7,
          maxFiles: 10_000,
        },
        { name: "images", kind: "prune-docker-images", olderThanHours: 168 },
        { name: "renew", kind: "certbot-dry-run" },
      ],
    });
    expect(hostScriptSettings(hostScript(chores(), ctx()))?.dryRun).toBe(false);
  });

  it("reads pgBackRest's full-backup count from the base-backup script, and nothing from other strings", () => {
    const w = walArchiving.parse({
      host: "db",
      stanza: "main",
      dataDirectory: "/var/lib/postgresql/15/main",
      baseBackup: { window: "every-6h" },
      retentionFull: 3,
    });
    const conf = pgbackrestConf(w, { bucket: "wal", region: "us-east-1", kmsKeyArn: "k" });
    expect(hostScriptSettings(baseBackupScript(w, { ...ctx(), conf }))).toEqual({
      dryRun: false,
      tasks: [],
      retentionFull: 3,
    });
    expect(hostScriptSettings("#!/bin/bash\necho hi\n")).toBeUndefined();
    expect(hostScriptSettings('{"dryRun":true}')).toBeUndefined();
  });
});

describe("the plan diff of a host chore", () => {
  const base = hostScript(chores(), ctx({ dryRun: true }));

  it("flags dry run off, a shorter age, a higher bound, another directory and a shorter image age", () => {
    const after = hostScript(
      chores({
        "old-logs": { olderThanDays: 7, maxFiles: 5000, path: "/srv/app/data" },
        images: { olderThanHours: 24 },
      }),
      ctx({ dryRun: false }),
    );
    expect(dangers(base, after)).toEqual([
      `${at}.dryRun: dry run turned off (true => false)`,
      `${at}.tasks[images].olderThanHours shortened from 168 to 24`,
      `${at}.tasks[old-logs].files: selects other files (/srv/app/it's logs/*.log.gz => /srv/app/data/*.log.gz)`,
      `${at}.tasks[old-logs].maxFiles raised from 500 to 5000`,
      `${at}.tasks[old-logs].olderThanDays shortened from 30 to 7`,
    ]);
  });

  it("flags a new deleting chore, and nothing for changes that keep more", () => {
    const more = hostScript(
      [
        ...chores({ "old-logs": { olderThanDays: 60, maxFiles: 100 } }),
        hostTask.parse({
          window: "daily",
          name: "tmp",
          kind: "delete-files",
          path: "/srv/app/tmp",
          pattern: "*.tmp",
          olderThanDays: 2,
        }),
      ],
      ctx({ dryRun: true }),
    );
    expect(dangers(base, more)).toEqual([
      `${at}.tasks[tmp].files: selects other files (unset => /srv/app/tmp/*.tmp)`,
    ]);
  });
});
