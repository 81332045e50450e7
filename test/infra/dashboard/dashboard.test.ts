// The per-stack dashboard is typed code: jobs, backups, certificates, logs and service alarms, laid out in a grid.
import { dashboardBody } from "../../../infra/dashboard/dashboard";
import { recordStack } from "../../../scripts/lib/record-stack";

describe("stack dashboard", () => {
  it("lays out widgets for every capability with the metrics the jobs emit", () => {
    const body = dashboardBody({
      stack: "dev",
      region: "eu-west-2",
      jobs: [{ job: "backup", functionName: "dev-backup" }],
      databases: ["app"],
      dumpDatabases: ["legacy"],
      endpoints: ["example.com:443"],
      logGroups: ["/dev/app"],
      alarmArns: ["arn:aws:cloudwatch:eu-west-2:123456789012:alarm:x"],
    });
    expect(body.widgets.map((w) => [w.properties.title, w.x, w.y])).toEqual([
      ["Jobs: successful runs", 0, 0],
      ["Jobs: errors", 12, 0],
      ["Jobs: duration p99 (ms)", 0, 6],
      ["Backups: age of newest snapshot (s)", 12, 6],
      ["Backups: snapshots kept", 0, 12],
      ["Dumps: age of newest verified dump (s)", 12, 12],
      ["Dumps: size (bytes, zstd) and failures", 0, 18],
      ["Certificates: days to expiry", 12, 18],
      ["Logs: days behind", 0, 24],
      ["Service alarms", 0, 30],
    ]);
    expect(body.widgets[5]!.properties.metrics).toEqual([
      ["Maintenance/dev", "NewestGoodDumpAgeSeconds", "service", "dump-verify", "Database", "legacy"],
    ]);
    expect(body.widgets[6]!.properties.metrics).toEqual([
      ["Maintenance/dev", "DumpBytes", "service", "dump-legacy", "Database", "legacy"],
      ["Maintenance/dev", "BackupFailed", "service", "dump-legacy", "Database", "legacy", { yAxis: "right" }],
    ]);
    expect(body.widgets[3]!.properties.metrics).toEqual([
      ["Maintenance/dev", "NewestSnapshotAgeSeconds", "service", "backup-verify", "Database", "app"],
    ]);
    expect(body.widgets[7]!.properties.metrics).toEqual([
      ["Maintenance/dev", "DaysToExpiry", "service", "cert-check", "Endpoint", "example.com:443"],
    ]);
  });

  it("is declared for dev with its jobs and its paging composites", async () => {
    const { resources } = await recordStack("dev");
    const dash = resources.find((r) => r.type === "aws:cloudwatch/dashboard:Dashboard")!;
    const body = JSON.parse(String(dash.inputs.dashboardBody));
    expect(body.widgets[0].properties.metrics).toEqual([
      ["Maintenance/dev", "JobSucceeded", "service", "backup"],
      ["Maintenance/dev", "JobSucceeded", "service", "backup-verify"],
      ["Maintenance/dev", "JobSucceeded", "service", "cert-check"],
      ["Maintenance/dev", "JobSucceeded", "service", "log-archive"],
      ["Maintenance/dev", "JobSucceeded", "service", "dump-app"],
      ["Maintenance/dev", "JobSucceeded", "service", "dump-verify"],
    ]);
    const alarms = body.widgets.find((w: { type: string }) => w.type === "alarm").properties
      .alarms as string[];
    expect(alarms.length).toBeGreaterThan(5);
    expect(alarms.every((a) => a.startsWith("arn:aws:cloudwatch:eu-west-2:123456789012:alarm:dev "))).toBe(
      true,
    );
  });
});
