// Real TLS servers on loopback with certificates generated here: each case yields the right status and days.
import { type Endpoint, endpointSchema } from "../../../lambdas/cert-check/config";
import {
  type CertResult,
  type CertStatus,
  checkEndpoints,
  endpointMetrics,
  FAILED,
} from "../../../lambdas/cert-check/check";
import {
  closedPort,
  type Issued,
  issue,
  type LocalServer,
  startSilentServer,
  startTlsServer,
} from "../../support/tls-fixtures";

const NOW = new Date();
const DAY = 86_400_000;
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

async function serve(
  leaf: Issued,
  chain: Issued[] = [intermediate],
  host = "127.0.0.1",
  port?: number,
  sni?: Record<string, Issued>,
) {
  const sites = sni && Object.fromEntries(Object.entries(sni).map(([n, l]) => [n, { leaf: l, chain }]));
  const s = await startTlsServer(leaf, chain, {
    host,
    ...(port ? { port } : {}),
    ...(sites ? { sni: sites } : {}),
  });
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

  it("judges only dates and trust for an IP host without servername: there is no name to check", async () => {
    const s = await serve(leafFor("app.test", 45.5));
    expect(await checkOne({ host: "127.0.0.1", port: s.port })).toMatchObject({
      address: "127.0.0.1",
      status: "ok",
      daysRemaining: 45,
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

describe("what each failure says", () => {
  it("says whether the leaf or a chain certificate expired", async () => {
    const s = await serve(leafFor("app.test", -1.5, { notBeforeDays: -90 }));
    const leaf = await checkOne({ host: "app.test", port: s.port });
    expect(leaf.error).toBe(`certificate expired ${leaf.notAfter}`);
    const oldIntermediate = issue({
      commonName: "Old Intermediate",
      notAfterDays: -0.5,
      notBeforeDays: -400,
      isCa: true,
      issuer: root,
      now: NOW,
    });
    const chained = await serve(
      issue({
        commonName: "app.test",
        notAfterDays: 90,
        notBeforeDays: -10,
        issuer: oldIntermediate,
        now: NOW,
      }),
      [oldIntermediate],
    );
    const r = await checkOne({ host: "app.test", port: chained.port });
    expect(r).toMatchObject({ status: "expired", daysRemaining: -1 });
    expect(r.error).toBe(`a chain certificate expired ${r.notAfter}`);
  });

  it("passes on the TLS library's reason a chain is not trusted", async () => {
    const s = await serve(issue({ commonName: "app.test", notAfterDays: 90.5, now: NOW }), []);
    expect((await checkOne({ host: "app.test", port: s.port })).error).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  it("checks each address once when DNS lists it twice, and fails a name with no address", async () => {
    const s = await serve(leafFor("app.test", 60.5));
    const results = await checkEndpoints(
      [endpointSchema.parse({ host: "app.test", port: s.port })],
      opts({ resolve: async () => ["127.0.0.1", "127.0.0.1"] }),
    );
    expect(results.map((r) => [r.address, r.status])).toEqual([["127.0.0.1", "ok"]]);
    expect(await checkOne({ host: "app.test", port: s.port }, { resolve: async () => [] })).toEqual({
      host: "app.test",
      port: s.port,
      address: null,
      status: "dns-failed",
      daysRemaining: null,
      notAfter: null,
      subject: null,
      issuer: null,
      error: "no A or AAAA records",
    });
  });
});

describe("one address serving many names (SNI)", () => {
  let port: number;
  beforeAll(async () => {
    // Like a load balancer or a shared host: the certificate depends on the name the client asks for.
    const s = await serve(leafFor("default.test", 90.5), [intermediate], "127.0.0.1", undefined, {
      "app.test": leafFor("app.test", 60.5),
      "other.test": leafFor("other.test", 20.5),
    });
    port = s.port;
  });

  it("asks for the endpoint's name and judges the certificate the server chose for it", async () => {
    expect(await checkOne({ host: "app.test", port })).toMatchObject({
      status: "ok",
      daysRemaining: 60,
      subject: "CN=app.test",
    });
    expect(await checkOne({ host: "other.test", port })).toMatchObject({
      status: "warning",
      daysRemaining: 20,
      subject: "CN=other.test",
    });
  });

  it("catches a name the server has no certificate for: it answers with its default, which does not cover it", async () => {
    const r = await checkOne({ host: "wrong.test", port });
    expect(r).toMatchObject({ status: "hostname-mismatch", subject: "CN=default.test" });
    expect(r.error).toMatch(/wrong\.test/);
  });

  it("sends servername, not the address, when the host is an IP address", async () => {
    expect(await checkOne({ host: "127.0.0.1", port, servername: "other.test" })).toMatchObject({
      address: "127.0.0.1",
      status: "warning",
      subject: "CN=other.test",
    });
  });
});

describe("day boundaries, judged at the second the certificate's dates change meaning", () => {
  let port: number;
  let notAfter: number;
  let notBefore: number;
  beforeAll(async () => {
    // After the intermediate's notBefore (one day back), so the leaf's own date decides.
    const leaf = leafFor("app.test", 90, { notBeforeDays: -0.5 });
    // X.509 times have whole seconds.
    notAfter = Math.floor(leaf.cert.validity.notAfter.getTime() / 1000) * 1000;
    notBefore = Math.floor(leaf.cert.validity.notBefore.getTime() / 1000) * 1000;
    port = (await serve(leaf)).port;
  });
  const at = async (ms: number) => checkOne({ host: "app.test", port }, { now: () => new Date(ms) });

  it.each([
    ["30 days left is ok", 30 * DAY, "ok", 30],
    ["29 days and 23:59:59 left is a warning", 30 * DAY - 1000, "warning", 29],
    ["7 days left is still a warning", 7 * DAY, "warning", 7],
    ["just under 7 days left is critical", 7 * DAY - 1000, "critical", 6],
    ["one second left is critical, not expired", 1000, "critical", 0],
    ["at notAfter it is expired", 0, "expired", 0],
  ])("%s", async (_label, left, status, days) => {
    expect(await at(notAfter - left)).toMatchObject({ status, daysRemaining: days });
  });

  it("is not yet valid until notBefore, and valid from it", async () => {
    const early = await at(notBefore - 1000);
    expect(early.status).toBe("not-yet-valid");
    expect(early.error).toBe(`valid only from ${new Date(notBefore).toISOString()}`);
    expect((await at(notBefore)).status).toBe("ok");
  });
});

describe("what counts as a failed check (the CheckFailed alarm)", () => {
  const result = (status: CertStatus, daysRemaining: number | null = null): CertResult => ({
    host: "app.test",
    port: 443,
    address: "127.0.0.1",
    status,
    daysRemaining,
    notAfter: null,
    subject: null,
    issuer: null,
  });
  const failures: CertStatus[] = [
    "expired",
    "not-yet-valid",
    "hostname-mismatch",
    "untrusted",
    "handshake-failed",
    "timeout",
    "dns-failed",
  ];

  it.each(failures)("%s sets CheckFailed", (status) => {
    expect(endpointMetrics([result("ok", 80), result(status, 50)])).toEqual([
      { endpoint: "app.test:443", daysToExpiry: 50, checkFailed: 1 },
    ]);
  });

  it.each(["ok", "warning", "critical"] as const)("%s does not: days to expiry pages for those", (status) => {
    expect(endpointMetrics([result(status, 3)])).toEqual([
      { endpoint: "app.test:443", daysToExpiry: 3, checkFailed: 0 },
    ]);
  });

  it("is exactly those seven statuses", () => expect([...FAILED].sort()).toEqual([...failures].sort()));
});

describe("an endpoint with one address failing", () => {
  it("reports the failing address, fails the endpoint, and takes its days from the address that answered", async () => {
    const good = await serve(leafFor("two.test", 50.5), [intermediate], "127.0.0.1");
    // Nothing listens on 127.0.0.2 at that port: that node is down.
    const results = await checkEndpoints(
      [endpointSchema.parse({ host: "two.test", port: good.port })],
      opts(),
    );
    expect(results.map((r) => [r.address, r.status, r.daysRemaining])).toEqual([
      ["127.0.0.1", "ok", 50],
      ["127.0.0.2", "handshake-failed", null],
    ]);
    expect(results[1]!.error).toMatch(/ECONNREFUSED 127\.0\.0\.2/);
    expect(endpointMetrics(results)).toEqual([
      { endpoint: `two.test:${good.port}`, daysToExpiry: 50, checkFailed: 1 },
    ]);
  });
});
