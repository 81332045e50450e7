// Every malformed stack file is rejected with the file, the key path and what is allowed, before anything is declared.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, type ConfigSource, loadConfig } from "../../infra/config";
import { buildStack } from "../../infra/program";
import { readStackFile } from "../../scripts/lib/stack-files";
import { drain, installMocks } from "../support/pulumi-mocks";

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

const cases: Array<[string, string, RegExp]> = [
  [
    "unknown top-level key",
    GOOD + "  maintenance:bakups: {}\n",
    /maintenance:bakups: unknown key; allowed keys are .*maintenance:app/,
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
