// The certificate-check Lambda entry end to end against a real TLS server: what it writes to stdout as EMF carries
// {service, Endpoint} on every datapoint, so a certificate with valid dates that fails the check still pages.
import { captureStdout } from "../../support/emf";
import { issue, type LocalServer, startTlsServer } from "../../support/tls-fixtures";

describe("cert-check handler metrics", () => {
  let server: LocalServer;
  const env = { ...process.env };
  beforeAll(async () => {
    // Self-signed: valid dates, but no trust anchor in Lambda's store, so the check fails (untrusted).
    server = await startTlsServer(issue({ commonName: "svc.test", notAfterDays: 60 }));
  });
  afterAll(async () => {
    process.env = { ...env };
    await server.close();
  });

  it("publishes DaysToExpiry and CheckFailed each with exactly {service, Endpoint}", async () => {
    Object.assign(process.env, {
      JOB_CONFIG: JSON.stringify({
        endpoints: [{ host: server.host, port: server.port, servername: "svc.test" }],
        timeoutMs: 5000,
      }),
      POWERTOOLS_SERVICE_NAME: "cert-check",
      POWERTOOLS_METRICS_NAMESPACE: "Maintenance/test",
      POWERTOOLS_LOG_LEVEL: "SILENT",
    });
    // Loaded after the environment is set: Metrics reads it when the module loads.
    const { handler } = require("../../../lambdas/cert-check/handler") as {
      handler: (e: unknown) => Promise<{ results: { status: string }[] }>;
    };
    const out = captureStdout();
    let result: { results: { status: string }[] };
    try {
      result = await handler({});
    } finally {
      out.restore();
    }
    expect(result.results.map((r) => r.status)).toEqual(["untrusted"]);
    const endpoint = `${server.host}:${server.port}`;
    expect(out.records().map(({ unit: _unit, ...r }) => r)).toEqual([
      {
        namespace: "Maintenance/test",
        metricName: "DaysToExpiry",
        dimensions: { service: "cert-check", Endpoint: endpoint },
        value: 59,
      },
      {
        namespace: "Maintenance/test",
        metricName: "CheckFailed",
        dimensions: { service: "cert-check", Endpoint: endpoint },
        value: 1,
      },
      {
        namespace: "Maintenance/test",
        metricName: "JobSucceeded",
        dimensions: { service: "cert-check" },
        value: 1,
      },
    ]);
  });
});
