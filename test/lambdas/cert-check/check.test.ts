// Real TLS servers on loopback with certificates generated here: each case yields the right status and days.
import { type Endpoint, endpointSchema } from "../../../lambdas/cert-check/config";
import { type CertResult, checkEndpoints, endpointMetrics } from "../../../lambdas/cert-check/check";
import {
  closedPort,
  type Issued,
  issue,
  type LocalServer,
  startSilentServer,
  startTlsServer,
} from "../../support/tls-fixtures";

const NOW = new Date();
const servers: LocalServer[] = [];
let root: Issued;
let intermediate: Issued;

/** Every fake name resolves to loopback; "two.test" resolves to two loopback addresses; the rest do not resolve. */
const resolve = async (host: string): Promise<string[]> => {
  if (host === "two.test") return ["127.0.0.1", "127.0.0.2"];
  if (host.endsWith(".test")) return ["127.0.0.1"];
  throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
};

const opts = (over: Partial<Parameters<typeof checkEndpoints>[1]> = {}) => ({
  resolve,
  now: () => NOW,
  timeoutMs: 1500,
  concurrency: 4,
  warningDays: 30,
  criticalDays: 7,
  ca: [root.certPem],
  ...over,
});

async function serve(leaf: Issued, chain: Issued[] = [intermediate], host = "127.0.0.1", port?: number) {
  const s = await startTlsServer(leaf, chain, { host, ...(port ? { port } : {}) });
  servers.push(s);
  return s;
}

const leafFor = (name: string, notAfterDays: number, over: Partial<Parameters<typeof issue>[0]> = {}) =>
  issue({ commonName: name, notAfterDays, issuer: intermediate, now: NOW, ...over });

async function checkOne(
  endpoint: Partial<Endpoint> & { host: string; port: number },
  over = {},
): Promise<CertResult> {
  const [result] = await checkEndpoints([endpointSchema.parse(endpoint)], opts(over));
  return result!;
}

beforeAll(() => {
  root = issue({ commonName: "Test Root CA", notAfterDays: 3650, isCa: true, now: NOW });
  intermediate = issue({
    commonName: "Test Intermediate",
    notAfterDays: 1800,
    isCa: true,
    issuer: root,
    now: NOW,
  });
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe("certificate checks against local TLS servers", () => {
  it.each([
    [3, "critical"],
    [20, "warning"],
    [60, "ok"],
  ])("a certificate expiring in %d days is %s", async (days, status) => {
    const s = await serve(leafFor("app.test", days + 0.5));
    const r = await checkOne({ host: "app.test", port: s.port });
    expect(r).toMatchObject({
      host: "app.test",
      port: s.port,
      address: "127.0.0.1",
      status,
      daysRemaining: days,
    });
    expect(r.subject).toBe("CN=app.test");
    expect(r.issuer).toBe("CN=Test Intermediate");
  });

  it("reports an expired certificate with negative days", async () => {
    const s = await serve(leafFor("app.test", -2.5, { notBeforeDays: -90 }));
    expect(await checkOne({ host: "app.test", port: s.port })).toMatchObject({
      status: "expired",
      daysRemaining: -3,
    });
  });

  it("reports a certificate that is not yet valid", async () => {
    const s = await serve(leafFor("app.test", 90, { notBeforeDays: 2 }));
    expect(await checkOne({ host: "app.test", port: s.port })).toMatchObject({ status: "not-yet-valid" });
  });

  it("reports a name the certificate does not cover", async () => {
    const s = await serve(leafFor("other.test", 90));
    const r = await checkOne({ host: "app.test", port: s.port });
    expect(r.status).toBe("hostname-mismatch");
    expect(r.error).toMatch(/app\.test/);
  });

  it("checks requiredNames too", async () => {
    const s = await serve(leafFor("app.test", 90, { altNames: ["app.test"] }));
    expect(await checkOne({ host: "app.test", port: s.port, requiredNames: ["www.app.test"] })).toMatchObject(
      { status: "hostname-mismatch" },
    );
  });

  it("reports a self-signed certificate as untrusted, still reading its dates", async () => {
    const s = await serve(issue({ commonName: "app.test", notAfterDays: 90.5, now: NOW }), []);
    expect(await checkOne({ host: "app.test", port: s.port })).toMatchObject({
      status: "untrusted",
      daysRemaining: 90,
    });
  });

  it("counts days to the earliest expiry in the chain: an intermediate that expires before the leaf", async () => {
    const shortIntermediate = issue({
      commonName: "Short Intermediate",
      notAfterDays: 5.5,
      isCa: true,
      issuer: root,
      now: NOW,
    });
    const leaf = issue({ commonName: "app.test", notAfterDays: 200, issuer: shortIntermediate, now: NOW });
    const s = await serve(leaf, [shortIntermediate]);
    const r = await checkOne({ host: "app.test", port: s.port });
    expect(r).toMatchObject({ status: "critical", daysRemaining: 5 });
    expect(Date.parse(r.notAfter!)).toBe(
      shortIntermediate.cert.validity.notAfter.getTime() -
        (shortIntermediate.cert.validity.notAfter.getTime() % 1000),
    );
  });

  it("times out on a server that accepts TCP and never answers", async () => {
    const s = await startSilentServer();
    servers.push(s);
    expect(await checkOne({ host: "app.test", port: s.port }, { timeoutMs: 300 })).toMatchObject({
      status: "timeout",
      daysRemaining: null,
    });
  });

  it("reports a closed port as a failed handshake", async () => {
    const port = await closedPort();
    const r = await checkOne({ host: "app.test", port });
    expect(r).toMatchObject({ status: "handshake-failed", address: "127.0.0.1" });
    expect(r.error).toMatch(/ECONNREFUSED/);
  });

  it("reports a name that does not resolve", async () => {
    expect(await checkOne({ host: "nowhere.invalid", port: 443 })).toMatchObject({
      status: "dns-failed",
      address: null,
    });
  });

  it("checks every address behind a name: one stale node is reported and drives the endpoint's minimum", async () => {
    const fresh = await serve(leafFor("two.test", 80.5), [intermediate], "127.0.0.1");
    await serve(leafFor("two.test", 4.5), [intermediate], "127.0.0.2", fresh.port);
    const results = await checkEndpoints(
      [endpointSchema.parse({ host: "two.test", port: fresh.port })],
      opts(),
    );
    expect(results.map((r) => [r.address, r.status, r.daysRemaining])).toEqual([
      ["127.0.0.1", "ok", 80],
      ["127.0.0.2", "critical", 4],
    ]);
    expect(endpointMetrics(results)).toEqual([
      { endpoint: `two.test:${fresh.port}`, daysToExpiry: 4, checkFailed: 0 },
    ]);
  });

  it("checks only the given address for an IP host, against servername", async () => {
    const s = await serve(leafFor("app.test", 45.5));
    const good = await checkOne({ host: "127.0.0.1", port: s.port, servername: "app.test" });
    expect(good).toMatchObject({ address: "127.0.0.1", status: "ok", daysRemaining: 45 });
    expect(await checkOne({ host: "127.0.0.1", port: s.port, servername: "other.test" })).toMatchObject({
      status: "hostname-mismatch",
    });
  });

  it("uses per-endpoint thresholds over the defaults", async () => {
    const s = await serve(leafFor("app.test", 40.5));
    expect(await checkOne({ host: "app.test", port: s.port, warningDays: 45 })).toMatchObject({
      status: "warning",
    });
  });

  it("never lets one bad endpoint abort the run, and marks failures in the metrics", async () => {
    const ok = await serve(leafFor("app.test", 90.5));
    const results = await checkEndpoints(
      [
        endpointSchema.parse({ host: "nowhere.invalid", port: 443 }),
        endpointSchema.parse({ host: "app.test", port: ok.port }),
      ],
      opts(),
    );
    expect(results.map((r) => r.status)).toEqual(["dns-failed", "ok"]);
    expect(endpointMetrics(results)).toEqual([
      { endpoint: "nowhere.invalid:443", daysToExpiry: null, checkFailed: 1 },
      { endpoint: `app.test:${ok.port}`, daysToExpiry: 90, checkFailed: 0 },
    ]);
  });
});
