// Every malformed stack file is rejected with the file, the key path and what is allowed, before anything is declared.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, type ConfigSource, loadConfig } from "../../../infra/config";
import { buildStack } from "../../../infra/program";
import { readStackFile } from "../../../scripts/lib/stack-files";
import { drain, installMocks } from "../../support/pulumi-mocks";
import { demoSource } from "../../support/config-source";
import { recordStack } from "../../../scripts/lib/record-stack";

const GOOD = `
config:
  aws:region: eu-west-2
  maintenance:app:
    name: demo
    environment: nonprod
    runbookBaseUrl: https://github.com/example-org/maintenance-stack/blob/main
  maintenance:paging:
    actionsEnabled: false
    pager: none
`;

/** Writes a stack file into a fresh stacks dir and plans it; returns the error (if any) and what was declared. */
async function planYaml(yaml: string, stack = "demo") {
  const dir = mkdtempSync(join(tmpdir(), "stacks-"));
  writeFileSync(join(dir, `Pulumi.${stack}.yaml`), yaml);
  const source = readStackFile(stack, dir);
  const entries = source.entries();
  const recorder = await installMocks(
    { stack },
    entries,
    Object.keys(entries).filter((k) => source.isSecret(k)),
  );
  let error: unknown;
  try {
    buildStack(loadConfig(source));
  } catch (e) {
    error = e;
  }
  await drain(recorder);
  return { error, resources: recorder.resources };
}

/** Replaces one `key: value` line of the good file (or appends lines). */
const edit = (from: string, to: string) => {
  if (!GOOD.includes(from)) throw new Error(`fixture has no ${from}`);
  return GOOD.replace(from, to);
};

/** A stack with one self-hosted PostgreSQL dumped daily; `dump` lines replace the defaults given here. */
const dumpYaml = (dump: Record<string, string> = {}, section = "", base = GOOD) => {
  const fields: Record<string, string> = {
    connection:
      "{ host: db.internal, database: app, user: backup, passwordSecretArn: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf' }",
    network: "{ subnetIds: [subnet-0123456789abcdef0], securityGroupIds: [sg-0123456789abcdef0] }",
    tiers: "{ daily: { expression: 'cron(0 2 * * ? *)', retention: 30d } }",
    ...dump,
  };
  const lines = Object.entries(fields)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `          ${k}: ${v}\n`)
    .join("");
  return (
    base +
    "  maintenance:backups:\n    databases:\n      - name: db\n        kind: self-hosted\n        engine: postgres\n" +
    `        dump:\n${lines}    rpoHours: 26\n${section}`
  );
};

const cases: Array<[string, string, RegExp]> = [
  [
    "unknown top-level key",
    GOOD + "  maintenance:bakups: {}\n",
    /maintenance:bakups: unknown key; did you mean maintenance:backups\?/,
  ],
  [
    "unknown nested key",
    edit("    name: demo", "    name: demo\n    nmae: x"),
    /maintenance:app: unknown key "nmae"/,
  ],
  [
    "missing required section",
    GOOD.replace(/ {2}maintenance:paging:\n.*\n.*\n/, ""),
    /maintenance:paging: required/,
  ],
  [
    "missing required key",
    edit("    runbookBaseUrl: https://github.com/example-org/maintenance-stack/blob/main\n", ""),
    /maintenance:app\.runbookBaseUrl: required/,
  ],
  [
    "wrong type",
    edit("actionsEnabled: false", 'actionsEnabled: "yes"'),
    /maintenance:paging\.actionsEnabled: .*expected boolean/,
  ],
  [
    "value outside an enum",
    edit("environment: nonprod", "environment: production"),
    /maintenance:app\.environment: must be one of "prod", "nonprod"/,
  ],
  ["bad slug", edit("name: demo", "name: Tele Med"), /maintenance:app\.name: must be 2-22 lowercase letters/],
  [
    "unknown timezone",
    edit("    name: demo", "    name: demo\n    timezone: IST"),
    /maintenance:app\.timezone: "IST" is not an IANA timezone name/,
  ],
  [
    "offset instead of a timezone",
    edit("    name: demo", "    name: demo\n    timezone: +05:30"),
    /maintenance:app\.timezone: .*not an IANA timezone name/,
  ],
  [
    "KMS rotation too short",
    GOOD + "  maintenance:encryption:\n    rotationDays: 30\n",
    /maintenance:encryption\.rotationDays: 30 is outside 90-2560 days/,
  ],
  [
    "KMS rotation too long",
    GOOD + "  maintenance:encryption:\n    rotationDays: 3000\n",
    /maintenance:encryption\.rotationDays: 3000 is outside 90-2560 days/,
  ],
  [
    "KMS deletion window",
    GOOD + "  maintenance:encryption:\n    deletionWindowDays: 45\n",
    /maintenance:encryption\.deletionWindowDays: 45 is outside 7-30 days/,
  ],
  [
    "DR region equal to primary",
    GOOD + "  maintenance:encryption:\n    drRegion: eu-west-2\n",
    /maintenance:encryption\.drRegion: must differ from aws:region/,
  ],
  [
    "bad DR region",
    GOOD + "  maintenance:encryption:\n    drRegion: frankfurt\n",
    /maintenance:encryption\.drRegion: must be an AWS region name/,
  ],
  [
    "log retention not an allowed value",
    GOOD + "  maintenance:jobs:\n    logRetentionDays: 45\n",
    /maintenance:jobs\.logRetentionDays: 45 is not a CloudWatch Logs retention value; allowed: 1, 3, 5/,
  ],
  [
    "scheduler retries above AWS's 185",
    GOOD + "  maintenance:jobs:\n    schedulerRetry:\n      maximumRetryAttempts: 500\n",
    /maintenance:jobs\.schedulerRetry\.maximumRetryAttempts: .*<=185/,
  ],
  [
    "Lambda event age below 60 s",
    GOOD + "  maintenance:jobs:\n    lambdaRetry:\n      maximumEventAgeSeconds: 30\n",
    /maintenance:jobs\.lambdaRetry\.maximumEventAgeSeconds: .*>=60/,
  ],
  [
    "plain pager URL",
    GOOD + "  maintenance:pagerUrl: https://events.pagerduty.com/integration/abc/enqueue\n",
    /maintenance:pagerUrl: is stored in plain text; it must be a secret/,
  ],
  [
    "plain chat webhook",
    GOOD + "  maintenance:chatWebhookUrl: https://hooks.slack.com/services/T/B/X\n",
    /maintenance:chatWebhookUrl: is stored in plain text/,
  ],
  [
    "bad email",
    edit("    pager: none", "    pager: none\n    warning:\n      emails: [oncall]"),
    /maintenance:paging\.warning\.emails\[0\]: must be an email address/,
  ],
  ["missing aws:region", GOOD.replace("  aws:region: eu-west-2\n", ""), /aws:region: required/],
  [
    "bad aws:region",
    edit("aws:region: eu-west-2", "aws:region: europe"),
    /aws:region: must be an AWS region name/,
  ],
  [
    "prod without alarm actions",
    edit("environment: nonprod", "environment: prod"),
    /maintenance:paging\.actionsEnabled: must be true in a prod stack/,
  ],
  [
    "bad cron in a schedule",
    GOOD +
      "  maintenance:backups:\n    databases: [{ name: db, kind: rds-instance, engine: postgres, identifier: db1 }]\n" +
      "    schedules: [{ name: daily, expression: 'cron(0 2 * * * *)' }]\n    retention: { keepLast: 3 }\n    rpoHours: 26\n",
    /maintenance:backups\.schedules\[0\]\.expression: one of day-of-month and day-of-week must be "\?"/,
  ],
  [
    "bad restic duration",
    GOOD +
      "  maintenance:backups:\n    databases: [{ name: db, kind: rds-instance, engine: postgres, identifier: db1 }]\n" +
      "    schedules: [{ name: daily, expression: 'cron(0 2 * * ? *)' }]\n    retention: { keepWithinDaily: 30days }\n    rpoHours: 26\n",
    /maintenance:backups\.retention\.keepWithinDaily: duration "30days" is not <number><unit>/,
  ],
  [
    "a zero-length retention window",
    GOOD +
      "  maintenance:backups:\n    databases: [{ name: db, kind: rds-instance, engine: postgres, identifier: db1 }]\n" +
      "    schedules: [{ name: daily, expression: 'cron(0 2 * * ? *)' }]\n    retention: { keepLast: 7, keepWithinDaily: 0d }\n    rpoHours: 26\n",
    /maintenance:backups\.retention\.keepWithinDaily: "0d" is a zero-length window, which restic reads as no rule at all; remove the key or give it a length such as 30d/,
  ],
  [
    "a retention whose only rule keeps nothing (restic's empty policy: nothing is ever pruned)",
    GOOD +
      "  maintenance:backups:\n    databases: [{ name: db, kind: rds-instance, engine: postgres, identifier: db1 }]\n" +
      "    schedules: [{ name: daily, expression: 'cron(0 2 * * ? *)' }]\n    retention: { keepLast: 0 }\n    rpoHours: 26\n",
    /maintenance:backups\.retention: needs at least one rule that keeps something \(keepLast >= 1 or a keepWithin\* window\)/,
  ],
  [
    "a self-hosted dump without network placement",
    dumpYaml({ network: "" }),
    /maintenance:backups\.databases\[0\]\.dump\.network: required for a self-hosted database/,
  ],
  [
    "a dump tier retention that is not a duration",
    dumpYaml({ tiers: "{ daily: { expression: 'cron(0 2 * * ? *)', retention: 30 days } }" }),
    /maintenance:backups\.databases\[0\]\.dump\.tiers\.daily\.retention: must be <number><unit> with unit d, w or y/,
  ],
  [
    "an unknown dump tier",
    dumpYaml({ tiers: "{ hourly: { expression: 'rate(1 hour)', retention: 2d } }" }),
    /maintenance:backups\.databases\[0\]\.dump\.tiers: unknown key "hourly"/,
  ],
  [
    "no dump tier at all",
    dumpYaml({ tiers: "{}" }),
    /maintenance:backups\.databases\[0\]\.dump\.tiers: needs at least one of daily, weekly, monthly, yearly/,
  ],
  [
    "a password in place of its secret ARN",
    dumpYaml({
      connection: "{ host: db.internal, database: app, user: backup, passwordSecretArn: hunter2 }",
    }),
    /maintenance:backups\.databases\[0\]\.dump\.connection\.passwordSecretArn: must be an ARN of secretsmanager/,
  ],
  [
    "a Fargate size AWS does not offer",
    dumpYaml({ runsOn: "fargate", fargate: "{ cpu: 1024, memoryMb: 1024 }" }),
    /maintenance:backups\.databases\[0\]\.dump\.fargate: Fargate cpu 1024 allows memoryMb 2048-8192 in steps of 1024, not 1024/,
  ],
  [
    "an RPO shorter than the gap between dumps",
    dumpYaml({ rpoHours: "12" }),
    /maintenance:backups\.databases\[0\]\.dump\.rpoHours: 12h is shorter than the longest gap between this database's dumps plus a run and the hourly verification \(26h\)/,
  ],
  [
    "an RPO that only fits outside DST (the gap is measured in the app's timezone)",
    dumpYaml({ rpoHours: "26" }, "", edit("    name: demo", "    name: demo\n    timezone: Europe/London")),
    /maintenance:backups\.databases\[0\]\.dump\.rpoHours: 26h is shorter than the longest gap between this database's dumps plus a run and the hourly verification \(27h\)/,
  ],
  [
    "a Fargate dump with only a monthly tier",
    dumpYaml({
      runsOn: "fargate",
      rpoHours: "800",
      tiers: "{ monthly: { expression: 'cron(0 2 1 * ? *)', retention: 1y } }",
    }),
    /maintenance:backups\.databases\[0\]\.dump\.tiers: a Fargate dump needs a tier that runs at least about every 6 days/,
  ],
  [
    "an Object Lock retention over 100 years",
    dumpYaml({
      rpoHours: "9000",
      tiers: "{ yearly: { expression: 'cron(0 3 1 1 ? *)', retention: 101y, objectLock: COMPLIANCE } }",
    }),
    /maintenance:backups\.databases\[0\]\.dump\.tiers\.yearly\.retention: Object Lock retains at most 36500 days \(100 years\), not 36891/,
  ],
  [
    "a Fargate dump without network placement",
    dumpYaml({ network: "", runsOn: "fargate" }).replace("kind: self-hosted", "kind: supabase"),
    /maintenance:backups\.databases\[0\]\.dump\.network: required with runsOn: fargate/,
  ],
  [
    "sslMode on a MySQL dump",
    dumpYaml({
      connection:
        "{ host: db.internal, database: app, user: backup, sslMode: require, passwordSecretArn: 'arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf' }",
    }).replace("engine: postgres", "engine: mysql"),
    /maintenance:backups\.databases\[0\]\.dump\.connection\.sslMode: is libpq's setting, for postgres only/,
  ],
  [
    "RDS snapshot settings with no RDS database",
    dumpYaml({}, "    schedules: [{ name: daily, expression: 'cron(0 2 * * ? *)' }]\n"),
    /maintenance:backups\.schedules: applies to RDS snapshots only and no database here is on RDS/,
  ],
  [
    "locked tiers with different retentions",
    dumpYaml({
      tiers:
        "{ monthly: { expression: 'cron(0 2 1 * ? *)', retention: 1y, objectLock: COMPLIANCE }, yearly: { expression: 'cron(0 3 1 1 ? *)', retention: 7y, objectLock: COMPLIANCE } }",
    }),
    /maintenance:backups\.databases\[0\]\.dump\.tiers\.yearly\.objectLock: every Object Lock tier goes to one vault bucket/,
  ],
  [
    "a prod yearly tier without COMPLIANCE lock",
    dumpYaml(
      { tiers: "{ yearly: { expression: 'cron(0 3 1 1 ? *)', retention: 7y } }", rpoHours: "9000" },
      "",
      edit("environment: nonprod", "environment: prod").replace(
        "actionsEnabled: false",
        "actionsEnabled: true",
      ),
    ),
    /maintenance:backups\.databases\[0\]\.dump\.tiers\.yearly\.objectLock: must be COMPLIANCE in a prod stack/,
  ],
  [
    "dump replication without a DR region",
    dumpYaml({}, "    dumpReplication: { enabled: true }\n"),
    /maintenance:backups\.dumpReplication\.enabled: needs maintenance:encryption\.drRegion \(the region the dumps replicate to\)/,
  ],
  [
    "a replication bound Replication Time Control cannot meet",
    dumpYaml({}, "    dumpReplication: { maxLatencyMinutes: 5 }\n"),
    /maintenance:backups\.dumpReplication\.maxLatencyMinutes: Replication Time Control's bound is 15 minutes; a shorter one cannot be met/,
  ],
  [
    "a replication bound with replication off",
    dumpYaml({}, "    dumpReplication: { enabled: false, maxLatencyMinutes: 30 }\n"),
    /maintenance:backups\.dumpReplication\.maxLatencyMinutes: has no effect with enabled: false/,
  ],
  [
    "dump replication with no dump to replicate",
    GOOD +
      "  maintenance:encryption:\n    drRegion: eu-west-1\n  maintenance:backups:\n    databases:\n" +
      "      - { name: db, kind: rds-instance, engine: postgres, identifier: db1 }\n" +
      "    schedules: [{ name: daily, expression: 'cron(0 2 * * ? *)' }]\n    retention: { keepLast: 7 }\n" +
      "    rpoHours: 26\n    dumpReplication: { enabled: true }\n",
    /maintenance:backups\.dumpReplication\.enabled: no database has a dump block; there is nothing to replicate/,
  ],
  [
    "webhook URL pasted into plain config",
    edit("    name: demo", "    name: demo\n    tags:\n      hook: https://hooks.slack.com/services/T/B/X"),
    /maintenance:app: contains what looks like a pager or webhook URL in plain text/,
  ],
];

describe("stack config validation", () => {
  it("accepts the good fixture (so every case below fails for its own reason)", async () => {
    const { error } = await planYaml(GOOD);
    expect(error).toBeUndefined();
  });

  it("turns fractional hours into the whole seconds the verification job's own schema requires", async () => {
    const { error, resources } = await planYaml(dumpYaml({}, "    freshnessHours: 1.1\n"));
    expect(error).toBeUndefined();
    const verify = resources.find((r) => r.name === "demo-dumps-verify-fn")!;
    const config = JSON.parse(
      (verify.inputs.environment as { variables: { JOB_CONFIG: string } }).variables.JOB_CONFIG,
    );
    expect(config.expiry.freshnessSeconds).toBe(3960);
    expect(config.databases[0].freshnessSeconds).toBe(26 * 3600);
  });

  it("accepts an RPO of 26h for a daily dump when the app's timezone has no DST", async () => {
    const { error } = await planYaml(dumpYaml({ rpoHours: "26" }));
    expect(error).toBeUndefined();
  });

  it("accepts the good dump fixture: retention units become days and ports default by engine", async () => {
    const { error, resources } = await planYaml(
      dumpYaml({
        tiers:
          "{ daily: { expression: 'cron(0 2 * * ? *)', retention: 2w }, yearly: { expression: 'cron(0 3 1 1 ? *)', retention: 7y, objectLock: COMPLIANCE } }",
      }),
    );
    expect(error).toBeUndefined();
    const verify = resources.find((r) => r.name === "demo-dumps-verify-fn")!;
    const verifyConfig = JSON.parse(
      (verify.inputs.environment as { variables: { JOB_CONFIG: string } }).variables.JOB_CONFIG,
    );
    expect(verifyConfig.databases[0].retentionDays).toEqual({ daily: 14, yearly: 2557 });
    const fn = resources.find((r) => r.name === "demo-dumps-db-fn")!;
    const config = JSON.parse(
      (fn.inputs.environment as { variables: { JOB_CONFIG: string } }).variables.JOB_CONFIG,
    );
    expect(config.port).toBe(5432);
  });

  it.each(cases)(
    "rejects %s, naming the file and key, and declares nothing",
    async (_label, yaml, expected) => {
      const { error, resources } = await planYaml(yaml);
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain("stacks/Pulumi.demo.yaml");
      expect(message).toMatch(expected);
      expect(resources).toEqual([]);
    },
  );

  it("never echoes a secret's value in an error", async () => {
    const { error } = await planYaml(
      GOOD + "  maintenance:pagerUrl: https://events.pagerduty.com/integration/TOPSECRET/enqueue\n",
    );
    expect((error as Error).message).not.toContain("TOPSECRET");
  });

  it("requires the pager URL when critical alarms page, reporting how to set it", () => {
    const source: ConfigSource = {
      stack: "demo",
      entries: () => ({
        "aws:region": "eu-west-2",
        "maintenance:app": JSON.stringify({
          name: "demo",
          environment: "prod",
          runbookBaseUrl: "https://x.example/r",
        }),
        "maintenance:paging": JSON.stringify({ actionsEnabled: true, pager: "pagerduty" }),
      }),
      isSecret: () => false,
    };
    expect(() => loadConfig(source)).toThrow(
      /maintenance:pagerUrl: required .*pulumi config set --secret maintenance:pagerUrl/,
    );
  });

  it("rejects a secret pager URL that is not https without echoing it", () => {
    const source: ConfigSource = {
      stack: "demo",
      entries: () => ({
        "aws:region": "eu-west-2",
        "maintenance:app": JSON.stringify({
          name: "demo",
          environment: "nonprod",
          runbookBaseUrl: "https://x.example/r",
        }),
        "maintenance:paging": JSON.stringify({ actionsEnabled: true, pager: "pagerduty" }),
        "maintenance:pagerUrl": "http://pager.example/HIDDEN",
      }),
      isSecret: (k) => k === "maintenance:pagerUrl",
    };
    expect(() => loadConfig(source)).toThrow(/maintenance:pagerUrl: must be an https:\/\/ URL/);
    expect(() => loadConfig(source)).not.toThrow(/HIDDEN/);
  });

  it("reports every problem at once", async () => {
    const yaml = edit("environment: nonprod", "environment: production").replace("name: demo", "name: X");
    const { error } = await planYaml(yaml);
    expect((error as ConfigError).problems).toHaveLength(2);
  });
});

describe("errors that say why and what to do", () => {
  const problems = (sections: Record<string, unknown>) => {
    try {
      loadConfig(demoSource(sections));
    } catch (e) {
      return (e as ConfigError).problems;
    }
    return [];
  };
  const dump = (tiers: unknown, rpoHours: number) => ({
    databases: [
      {
        name: "db",
        kind: "self-hosted",
        engine: "postgres",
        dump: {
          connection: {
            host: "db.internal",
            database: "app",
            user: "backup",
            passwordSecretArn: "arn:aws:secretsmanager:eu-west-2:123456789012:secret:db-AbCdEf",
          },
          network: { subnetIds: ["subnet-0123456789abcdef0"], securityGroupIds: ["sg-0123456789abcdef0"] },
          timezone: "Europe/Berlin",
          tiers,
        },
      },
    ],
    rpoHours,
  });

  it("names the DST gap in the first RPO error for a 02:30 Europe/Berlin dump", () => {
    expect(
      problems({ backups: dump({ daily: { expression: "cron(30 2 * * ? *)", retention: "30d" } }, 27) }),
    ).toEqual([
      "maintenance:backups.databases[0].dump.rpoHours: 27h is shorter than the longest gap between this database's dumps plus a run and the hourly verification (49h), because 02:30 does not exist in Europe/Berlin on 2030-03-31 (the spring-forward DST gap): Scheduler skips that run, so that day has no dump; move cron(30 2 * * ? *) out of the gap (e.g. an hour later); dump more often or set dump.rpoHours to at least 49",
    ]);
  });

  it.each([
    [
      { logs: { logGroups: [{ name: "/a" }], hotRetentionDay: 7 } },
      'maintenance:logs: unknown key "hotRetentionDay"; did you mean "hotRetentionDays"?',
    ],
    [
      {
        monitoring: {
          healthChecks: [{ name: "api", url: "https://x.example/h", requestIntervalSeconds: 60 }],
        },
      },
      "maintenance:monitoring.healthChecks[0].requestIntervalSeconds: must be one of 10, 30",
    ],
    [
      {
        backups: {
          ...dump({ daily: { expression: "cron(0 3 * * ? *)", retention: "30d" } }, 27),
          databases: [
            {
              ...dump({ daily: { expression: "cron(0 3 * * ? *)", retention: "30d" } }, 27).databases[0]!,
              dump: {
                ...dump({ daily: { expression: "cron(0 3 * * ? *)", retention: "30d" } }, 27).databases[0]!
                  .dump,
                connection: { host: "db.internal", database: "app", user: "backup", password: "hunter2" },
              },
            },
          ],
        },
      },
      'maintenance:backups.databases[0].dump.connection: unknown key "password": never put a password in a stack file; store it in Secrets Manager and set passwordSecretArn to the secret\'s ARN',
    ],
    [
      {
        monitoring: {
          database: { kind: "postgres", instanceId: "i-0123456789abcdef0", processPattern: "postgres" },
        },
      },
      'maintenance:monitoring.database.kind: must be one of "rds-instance", "aurora-cluster", "self-hosted"',
    ],
    [
      { certificates: { endpoints: [{ host: "x.example", warningDays: 5 }] } },
      "maintenance:certificates.endpoints[0].warningDays: warningDays 5 is below criticalDays 7 for x.example: the warning must come before the critical alarm",
    ],
    [
      {
        monitoring: {
          hosts: [{ instanceId: "i-0123456789abcdef0" }],
          thresholds: { diskUsedPercent: [{ threshold: 90, severity: "critical" }] },
        },
      },
      "maintenance:monitoring.hosts[0].device: required for the disk alarm (thresholds.diskUsedPercent): the CloudWatch agent's device of / on i-0123456789abcdef0, as `df -T /` shows it (nvme0n1p1 or xvda1, without /dev/); a value that matches no metric leaves the alarm silent forever",
    ],
    [
      {
        monitoring: {
          hosts: [{ instanceId: "i-0123456789abcdef0", device: "/dev/nvme0n1p1", fstype: "xfs" }],
        },
      },
      "maintenance:monitoring.hosts[0].device: must be the device name as `df -T` shows it, without /dev/ (e.g. nvme0n1p1, xvda1)",
    ],
  ])("%j", (sections, expected) => {
    expect(problems(sections)).toContain(expected);
  });

  it("reports the RPO problem in the same round as an unrelated bad key", () => {
    const found = problems({
      backups: dump({ daily: { expression: "cron(0 3 * * ? *)", retention: "30d" } }, 12),
      monitoring: { maintenanceWindow: [] },
    });
    expect(found).toHaveLength(2);
    expect(found[0]).toBe(
      'maintenance:monitoring: unknown key "maintenanceWindow"; did you mean "maintenanceWindows"?',
    );
    expect(found[1]).toMatch(/^maintenance:backups\.databases\[0\]\.dump\.rpoHours: 12h is shorter/);
  });

  it("asks only for the secrets this stack needs (no chat webhook when no channel uses chat)", async () => {
    const rec = await recordStack("boardroom-prod");
    expect(rec.missingSecrets).toEqual(["maintenance:pagerUrl"]);
  });
});
