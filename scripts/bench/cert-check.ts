// Checks 500 endpoints served locally with injected handshake latency, bounded-concurrent vs one at a time (issue 5).
import { endpointSchema } from "../../lambdas/cert-check/config";
import { checkEndpoints } from "../../lambdas/cert-check/check";
import { issue, type LocalServer, startTlsServer } from "../../test/support/tls-fixtures";

export async function benchCertCheck(count = 500, latencyMs = 20, concurrency = 25) {
  const now = new Date();
  const root = issue({ commonName: "Bench Root", notAfterDays: 365, isCa: true, now });
  const leaf = issue({ commonName: "bench.test", notAfterDays: 90, issuer: root, now });
  // 50 servers, each behind 10 endpoints (same port, distinct names that all resolve to it): 500 handshakes.
  const servers: LocalServer[] = [];
  for (let i = 0; i < 50; i++) servers.push(await startTlsServer(leaf, [], { latencyMs }));
  const endpoints = Array.from({ length: count }, (_, i) =>
    endpointSchema.parse({ host: "bench.test", port: servers[i % servers.length]!.port }),
  );
  const opts = {
    resolve: async () => ["127.0.0.1"],
    now: () => now,
    timeoutMs: 10_000,
    warningDays: 30,
    criticalDays: 7,
    ca: [root.certPem],
  };
  const time = async (c: number) => {
    const t0 = process.hrtime.bigint();
    const results = await checkEndpoints(endpoints, { ...opts, concurrency: c });
    if (results.some((r) => r.status !== "ok")) throw new Error("bench endpoints should all be ok");
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  const concurrentMs = await time(concurrency);
  const sequentialMs = await time(1);
  await Promise.all(servers.map((s) => s.close()));
  return { endpoints: count, latencyMs, concurrency, concurrentMs, sequentialMs };
}
