// The handlers reject malformed events and configs with the field named, before any RDS call (nothing deleted).
import { RDSClient } from "@aws-sdk/client-rds";
import { mockClient } from "aws-sdk-client-mock";

const goodConfig = {
  stack: "dev",
  region: "eu-west-2",
  kmsKeyArn: "arn:aws:kms:eu-west-2:123456789012:key/k",
  databases: [{ name: "app", identifier: "app-db", kind: "instance" }],
  retention: { keepWithinDaily: "30d" },
  keepLastFloor: 3,
  freshnessHours: 36,
  drFreshnessHours: 72,
  maxDeletesPerRun: 10,
  dryRun: false,
  rpoHours: 26,
};

async function loadHandler(config: unknown) {
  process.env.JOB_CONFIG = JSON.stringify(config);
  let handler!: (e: unknown) => Promise<unknown>;
  jest.isolateModules(() => {
    handler = require("../../../lambdas/backup/handler").handler;
  });
  return handler;
}

describe("backup handler input validation", () => {
  const rds = mockClient(RDSClient);
  beforeEach(() => rds.reset());
  afterAll(() => {
    rds.restore();
    delete process.env.JOB_CONFIG;
  });

  it.each([
    [{ tier: "daily" }, /event is invalid:\n\s+scheduledTime: .*/],
    [{ tier: "daily", scheduledTime: "yesterday" }, /scheduledTime: must be an ISO-8601 time/],
    [{ tier: "Daily!", scheduledTime: "2027-01-01T02:00:00Z" }, /tier: must be a schedule name/],
    [{ tier: "daily", scheduledTime: "2027-01-01T02:00:00Z", dryRun: "yes" }, /dryRun: .*expected boolean/],
    [
      { tier: "daily", scheduledTime: "2027-01-01T02:00:00Z", deleteAll: true },
      /Unrecognized key: "deleteAll"/,
    ],
  ])("rejects event %j", async (event, message) => {
    const handler = await loadHandler(goodConfig);
    await expect(handler(event)).rejects.toThrow(message);
    expect(rds.calls()).toHaveLength(0);
  });

  it.each([
    [
      { ...goodConfig, retention: { keepWithinDaily: "30 days" } },
      /retention: keepWithinDaily: duration "30 days": invalid unit " "/,
    ],
    [{ ...goodConfig, keepLastFloor: 0 }, /keepLastFloor: .*>=1/],
    [{ ...goodConfig, databases: [] }, /databases: .*>=1/],
    [
      { ...goodConfig, databases: [{ name: "app", identifier: "app-db", kind: "table" }] },
      /databases.0.kind/,
    ],
  ])("rejects JOB_CONFIG %#", async (config, message) => {
    const handler = await loadHandler(config);
    await expect(handler({ tier: "daily", scheduledTime: "2027-01-01T02:00:00Z" })).rejects.toThrow(
      /JOB_CONFIG is invalid/,
    );
    await expect(handler({ tier: "daily", scheduledTime: "2027-01-01T02:00:00Z" })).rejects.toThrow(message);
    expect(rds.calls()).toHaveLength(0);
  });
});
