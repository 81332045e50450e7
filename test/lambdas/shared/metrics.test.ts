// The shared metric helper and the EMF reader the metric tests rely on: several datapoints under one dimension each
// reach stdout with exactly {service, <dimension>}, and the reader sees what CloudWatch would extract.
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import { putDimensioned } from "../../../lambdas/shared/job";
import { captureStdout, parseEmf } from "../../support/emf";

describe("putDimensioned", () => {
  it("publishes every datapoint with exactly {service, <dimension>}, whatever the shared Metrics carries", () => {
    const metrics = new Metrics({ namespace: "Maintenance/test", serviceName: "job" });
    metrics.addDimension("Other", "x");
    const out = captureStdout();
    try {
      putDimensioned(metrics, { name: "Database", value: "app" }, [
        { metric: "A", unit: MetricUnit.Count, value: 1 },
        { metric: "B", unit: MetricUnit.Seconds, value: 2 },
        { metric: "C", unit: MetricUnit.Bytes, value: 3 },
      ]);
    } finally {
      out.restore();
    }
    expect(out.records()).toEqual(
      [
        ["A", "Count", 1],
        ["B", "Seconds", 2],
        ["C", "Bytes", 3],
      ].map(([metricName, unit, value]) => ({
        namespace: "Maintenance/test",
        metricName,
        dimensions: { service: "job", Database: "app" },
        value,
        unit,
      })),
    );
  });
});

describe("parseEmf", () => {
  const line = (root: object) => JSON.stringify(root);
  it("yields one datapoint per metric, dimension set and value, and skips ordinary log lines", () => {
    expect(
      parseEmf([
        '{"level":"INFO","message":"not a metric"}',
        "plain text",
        line({
          _aws: {
            Timestamp: 0,
            CloudWatchMetrics: [
              {
                Namespace: "N",
                Dimensions: [["service"], ["service", "Database"]],
                Metrics: [{ Name: "M", Unit: "Count" }],
              },
            ],
          },
          service: "s",
          Database: "d",
          M: [1, 2],
        }),
        line({
          _aws: { CloudWatchMetrics: [{ Namespace: "N", Dimensions: [], Metrics: [{ Name: "Z" }] }] },
          Z: 0,
        }),
      ]),
    ).toEqual([
      { namespace: "N", metricName: "M", dimensions: { service: "s" }, value: 1, unit: "Count" },
      { namespace: "N", metricName: "M", dimensions: { service: "s" }, value: 2, unit: "Count" },
      {
        namespace: "N",
        metricName: "M",
        dimensions: { service: "s", Database: "d" },
        value: 1,
        unit: "Count",
      },
      {
        namespace: "N",
        metricName: "M",
        dimensions: { service: "s", Database: "d" },
        value: 2,
        unit: "Count",
      },
      { namespace: "N", metricName: "Z", dimensions: {}, value: 0 },
    ]);
  });

  it("throws on a dimension or metric CloudWatch could not read", () => {
    const directive = { Namespace: "N", Dimensions: [["service", "Database"]], Metrics: [{ Name: "M" }] };
    expect(() => parseEmf([line({ _aws: { CloudWatchMetrics: [directive] }, service: "s", M: 1 })])).toThrow(
      /EMF dimension Database has no string value/,
    );
    expect(() =>
      parseEmf([line({ _aws: { CloudWatchMetrics: [directive] }, service: "s", Database: "d", M: "1" })]),
    ).toThrow(/EMF metric M has no numeric value/);
  });
});
