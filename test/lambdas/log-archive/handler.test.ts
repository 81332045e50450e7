// The log-archive Lambda entry end to end: what it really writes to stdout as EMF carries the dimensions its alarms
// watch, for every datapoint of a group (a Powertools singleMetric publishes at its first addMetric).
import {
  CloudWatchLogsClient,
  CreateExportTaskCommand,
  DescribeExportTasksCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { taskName } from "../../../lambdas/log-archive/exporter";
import { captureStdout } from "../../support/emf";

const NOW = new Date("2027-03-10T13:00:00Z"); // newest exportable day: 2027-03-09
const GROUP = "/app/api";
const CHECKPOINT = "_checkpoints/app__api.json";

describe("log-archive handler metrics", () => {
  const logs = mockClient(CloudWatchLogsClient);
  const s3 = mockClient(S3Client);
  const env = { ...process.env };
  afterEach(() => {
    jest.useRealTimers();
    process.env = { ...env };
    logs.reset();
    s3.reset();
  });
  afterAll(() => {
    logs.restore();
    s3.restore();
  });

  it("publishes DaysBehind and ExportTaskFailed each with exactly {service, LogGroup}", async () => {
    // Only Date is faked: the SDK mocks and Powertools still run on real timers.
    jest.useFakeTimers({
      now: NOW,
      doNotFake: [
        "nextTick",
        "setImmediate",
        "clearImmediate",
        "setInterval",
        "clearInterval",
        "setTimeout",
        "clearTimeout",
        "queueMicrotask",
        "hrtime",
        "performance",
      ],
    });
    Object.assign(process.env, {
      JOB_CONFIG: JSON.stringify({
        bucket: "archive",
        prefix: "logs",
        logGroups: [GROUP],
        logGroupPrefixes: [],
        retentionDays: 30,
        maxBackfillDays: 7,
      }),
      POWERTOOLS_SERVICE_NAME: "log-archive",
      POWERTOOLS_METRICS_NAMESPACE: "Maintenance/test",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    // Archived through 03-07; the export of 03-08 was started by an earlier run and has failed since.
    const objects = new Map([
      [
        CHECKPOINT,
        JSON.stringify({
          logGroup: GROUP,
          lastArchivedDay: "2027-03-07",
          pending: { day: "2027-03-08", taskName: taskName(GROUP, "2027-03-08"), taskId: "t1" },
        }),
      ],
    ]);
    s3.on(GetObjectCommand).callsFake((input) => {
      const body = objects.get(input.Key);
      if (body === undefined) throw new NoSuchKey({ message: "NoSuchKey", $metadata: {} });
      return { Body: { transformToString: async () => body } };
    });
    s3.on(PutObjectCommand).callsFake((input) => {
      objects.set(input.Key, String(input.Body));
      return {};
    });
    logs.on(DescribeExportTasksCommand, { taskId: "t1" }).resolves({
      exportTasks: [
        { taskId: "t1", taskName: taskName(GROUP, "2027-03-08"), status: { code: "FAILED", message: "x" } },
      ],
    });

    // Loaded after the environment is set (Metrics reads it when the module loads), in the test's module registry so
    // the client mocks above apply to the handler's clients.
    const { handler } = require("../../../lambdas/log-archive/handler") as {
      handler: (e: unknown) => Promise<unknown>;
    };
    const out = captureStdout();
    try {
      await handler({ scheduledTime: NOW.toISOString() });
    } finally {
      out.restore();
    }
    expect(logs.commandCalls(CreateExportTaskCommand)).toHaveLength(0);
    const records = out.records().map(({ unit: _unit, ...r }) => r);
    expect(records).toEqual([
      {
        namespace: "Maintenance/test",
        metricName: "DaysBehind",
        dimensions: { service: "log-archive", LogGroup: GROUP },
        value: 2,
      },
      {
        namespace: "Maintenance/test",
        metricName: "ExportTaskFailed",
        dimensions: { service: "log-archive", LogGroup: GROUP },
        value: 1,
      },
      {
        namespace: "Maintenance/test",
        metricName: "JobSucceeded",
        dimensions: { service: "log-archive" },
        value: 1,
      },
    ]);
  });
});
