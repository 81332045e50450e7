// The Fargate entry of the dump image: the event from the JOB_EVENT container override, the exit code as the result.
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { fargateEvent } from "../../../lambdas/logical-backup/main";
import { imageContext } from "../../../infra/core/lambda-bundle";
import { DUMP_IMAGE_ENTRIES } from "../../../infra/backups/dump-image";

describe("Fargate entry", () => {
  const now = new Date("2027-03-09T20:30:41.123Z");

  it("passes the scheduler's event through", () => {
    const raw = JSON.stringify({ tier: "weekly", scheduledTime: "2027-03-07T20:50:00Z" });
    expect(fargateEvent(raw, now)).toEqual({ tier: "weekly", scheduledTime: "2027-03-07T20:50:00Z" });
  });

  it("uses the current minute when the scheduled-time placeholder reached the task unsubstituted", () => {
    const raw = JSON.stringify({ tier: "daily", scheduledTime: "<aws.scheduler.scheduled-time>" });
    expect(fargateEvent(raw, now)).toEqual({ tier: "daily", scheduledTime: "2027-03-09T20:30:00.000Z" });
  });

  it("refuses to run without an event", () => {
    expect(() => fargateEvent(undefined, now)).toThrow(/JOB_EVENT is not set/);
  });

  it("the bundled main.js exits 1 and says why when its config or event is missing", () => {
    const ctx = imageContext("logical-backup", DUMP_IMAGE_ENTRIES);
    const run = spawnSync(process.execPath, [join(ctx.dir, "main.js")], {
      env: {
        PATH: process.env.PATH,
        JOB_EVENT: JSON.stringify({ tier: "daily", scheduledTime: "2027-03-09T20:30:00Z" }),
      },
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/JOB_CONFIG is not set/);
    // The failure is a BackupFailed datapoint too (Fargate has no Lambda Errors metric to page on).
    const emf = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(emf).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: "Maintenance",
            Dimensions: [["service", "Database"]],
            Metrics: [{ Name: "BackupFailed", Unit: "Count" }],
          },
        ],
      },
      service: "logical-backup",
      Database: "unknown",
      BackupFailed: 1,
    });
    expect(() =>
      execFileSync(process.execPath, [join(ctx.dir, "main.js")], {
        env: { PATH: process.env.PATH },
        stdio: "pipe",
      }),
    ).toThrow();
  });

  it("the bundled main.js refuses a slot typed in the future, as a reported failure, before any AWS call", () => {
    const ctx = imageContext("logical-backup", DUMP_IMAGE_ENTRIES);
    const ahead = new Date(Date.now() + 86_400_000 + 30 * 60_000).toISOString();
    const run = spawnSync(process.execPath, [join(ctx.dir, "main.js")], {
      env: {
        PATH: process.env.PATH,
        // Nothing listens there: an AWS call would fail with a connection error instead.
        AWS_REGION: "eu-west-2",
        AWS_ACCESS_KEY_ID: "x",
        AWS_SECRET_ACCESS_KEY: "y",
        AWS_ENDPOINT_URL: "http://127.0.0.1:9",
        POWERTOOLS_SERVICE_NAME: "dump-db",
        JOB_EVENT: JSON.stringify({ tier: "daily", scheduledTime: ahead }),
        JOB_CONFIG: JSON.stringify({
          database: "db",
          engine: "postgres",
          host: "127.0.0.1",
          port: 1,
          databaseName: "d",
          user: "u",
          passwordSecretArn: "arn:aws:secretsmanager:eu-west-2:1:secret:s",
          bucket: "bkt",
          kmsKeyArn: "arn:aws:kms:eu-west-2:1:key/k",
        }),
      },
      encoding: "utf8",
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    const failed = run.stderr
      .split("\n")
      .filter((l) => l.includes("dump run failed"))
      .map((l) => JSON.parse(l) as { error: string });
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toMatch(
      new RegExp(
        `^event is invalid:\\n {2}scheduledTime: ${ahead.replace(/\./g, "\\.")} is 1d (29|30)m ahead of the clock`,
      ),
    );
    expect(JSON.parse(run.stdout.trim().split("\n").at(-1)!)).toMatchObject({
      service: "dump-db",
      Database: "db",
      BackupFailed: 1,
    });
  });

  it("the bundled main.js stops itself, as a failure, at JOB_DEADLINE_SECONDS", () => {
    const ctx = imageContext("logical-backup", DUMP_IMAGE_ENTRIES);
    // A dump that never ends: the password lookup hangs on an endpoint that accepts and never answers.
    const script = `
      const net = require("node:net");
      const server = net.createServer(() => {}).listen(0, "127.0.0.1", () => {
        const { port } = server.address();
        const child = require("node:child_process").spawn(process.execPath, [process.argv[1]], {
          env: { PATH: process.env.PATH, JOB_DEADLINE_SECONDS: "1", AWS_REGION: "eu-west-2",
            AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "y", AWS_ENDPOINT_URL: "http://127.0.0.1:" + port,
            JOB_EVENT: JSON.stringify({ tier: "daily", scheduledTime: "2026-03-09T20:30:00Z" }),
            JOB_CONFIG: JSON.stringify({ database: "db", engine: "postgres", host: "127.0.0.1", port: 1,
              databaseName: "d", user: "u", passwordSecretArn: "arn:aws:secretsmanager:eu-west-2:1:secret:s",
              bucket: "bkt", kmsKeyArn: "arn:aws:kms:eu-west-2:1:key/k" }) },
          stdio: ["ignore", "ignore", "pipe"] });
        let err = ""; child.stderr.on("data", (d) => (err += d));
        child.on("close", (code) => { process.stdout.write(JSON.stringify({ code, err })); server.close(); process.exit(0); });
      });`;
    const out = spawnSync(process.execPath, ["-e", script, join(ctx.dir, "main.js")], {
      encoding: "utf8",
      timeout: 20_000,
    });
    const { code, err } = JSON.parse(out.stdout) as { code: number; err: string };
    expect(code).toBe(1);
    expect(err).toMatch(/exceeded its 1s deadline/);
  });

  it("reports a failure as BackupFailed for the job's service and database", () => {
    const { failureMetricLine } =
      require("../../../lambdas/logical-backup/main") as typeof import("../../../lambdas/logical-backup/main");
    const line = JSON.parse(
      failureMetricLine(
        {
          POWERTOOLS_METRICS_NAMESPACE: "Maintenance/skillswap-prod",
          POWERTOOLS_SERVICE_NAME: "dump-skillswap",
          JOB_CONFIG: JSON.stringify({ database: "skillswap" }),
        },
        new Date("2027-03-09T20:30:00Z"),
      ),
    );
    expect(line).toEqual({
      _aws: {
        Timestamp: Date.parse("2027-03-09T20:30:00Z"),
        CloudWatchMetrics: [
          {
            Namespace: "Maintenance/skillswap-prod",
            Dimensions: [["service", "Database"]],
            Metrics: [{ Name: "BackupFailed", Unit: "Count" }],
          },
        ],
      },
      service: "dump-skillswap",
      Database: "skillswap",
      BackupFailed: 1,
    });
  });
});

describe("restore drill entry", () => {
  it("the bundled drill.js exits 1 with a DrillFailed datapoint for its database when its config is bad", () => {
    const ctx = imageContext("logical-backup", DUMP_IMAGE_ENTRIES);
    const run = spawnSync(process.execPath, [join(ctx.dir, "drill.js")], {
      env: {
        PATH: process.env.PATH,
        POWERTOOLS_SERVICE_NAME: "drill-pg",
        POWERTOOLS_METRICS_NAMESPACE: "Maintenance/demo",
        JOB_CONFIG: JSON.stringify({ database: "pg", engine: "postgres" }),
        JOB_EVENT: JSON.stringify({ scheduledTime: "<aws.scheduler.scheduled-time>" }),
      },
      encoding: "utf8",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/JOB_CONFIG is invalid/);
    const emf = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
    expect(emf).toMatchObject({
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: "Maintenance/demo",
            Dimensions: [["service", "Database"]],
            Metrics: [{ Name: "DrillFailed" }],
          },
        ],
      },
      service: "drill-pg",
      Database: "pg",
      DrillFailed: 1,
    });
  });
});
