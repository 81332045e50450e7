// TLS certificate checks: every address behind each name, the whole chain, hostname and trust, with a per-connection
// timeout and bounded concurrency. One bad endpoint never stops the others.
import { isIP } from "node:net";
import * as tls from "node:tls";
import type { Endpoint } from "./config";
import { mapLimit } from "./concurrency";

export type CertStatus =
  | "ok"
  | "warning"
  | "critical"
  | "expired"
  | "not-yet-valid"
  | "hostname-mismatch"
  | "untrusted"
  | "handshake-failed"
  | "timeout"
  | "dns-failed";

export interface CertResult {
  readonly host: string;
  readonly port: number;
  readonly address: string | null;
  readonly status: CertStatus;
  /** Whole days until the earliest notAfter anywhere in the chain (negative once expired); null without a certificate. */
  readonly daysRemaining: number | null;
  readonly notAfter: string | null;
  readonly subject: string | null;
  readonly issuer: string | null;
  readonly error?: string;
}

export interface CheckOptions {
  /** Resolves a name to every A and AAAA address. */
  readonly resolve: (host: string) => Promise<string[]>;
  readonly now: () => Date;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly warningDays: number;
  readonly criticalDays: number;
  /** Trust anchors replacing Node's store (tests); in Lambda Node's store plus NODE_EXTRA_CA_CERTS applies. */
  readonly ca?: string[];
}

const DAY = 86_400_000;

/** Statuses that mean "a browser would refuse this" or "we could not look": CheckFailed = 1. */
export const FAILED: ReadonlySet<CertStatus> = new Set([
  "expired",
  "not-yet-valid",
  "hostname-mismatch",
  "untrusted",
  "handshake-failed",
  "timeout",
  "dns-failed",
]);

const name = (subject: tls.PeerCertificate["subject"] | undefined) =>
  subject
    ? Object.entries(subject)
        .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : v}`)
        .join(", ")
    : null;

/** The chain the server presented, leaf first, following issuerCertificate until it repeats or ends. */
function chainOf(leaf: tls.DetailedPeerCertificate): tls.DetailedPeerCertificate[] {
  const chain: tls.DetailedPeerCertificate[] = [];
  const seen = new Set<string>();
  let cur: tls.DetailedPeerCertificate | undefined = leaf;
  while (cur?.raw && !seen.has(cur.fingerprint256)) {
    seen.add(cur.fingerprint256);
    chain.push(cur);
    cur = cur.issuerCertificate;
  }
  return chain;
}

interface Handshake {
  readonly chain: tls.DetailedPeerCertificate[];
  readonly authorized: boolean;
  readonly authorizationError?: string;
}

/** TLS handshake with SNI that never rejects on certificate problems, so the chain can be read and judged. */
function handshake(
  address: string,
  port: number,
  servername: string | undefined,
  opts: CheckOptions,
): Promise<Handshake> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: address,
      port,
      ...(servername && !isIP(servername) ? { servername } : {}),
      rejectUnauthorized: false,
      ...(opts.ca ? { ca: opts.ca } : {}),
      // Identity is checked below against the name we care about, not by Node during the handshake.
      checkServerIdentity: () => undefined,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error(`no TLS handshake within ${opts.timeoutMs} ms`), { code: "TIMEOUT" }));
    }, opts.timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const chain = chainOf(socket.getPeerCertificate(true));
      const result = {
        chain,
        authorized: socket.authorized,
        ...(socket.authorizationError ? { authorizationError: String(socket.authorizationError) } : {}),
      };
      socket.end();
      resolve(result);
    });
    socket.once("error", (e) => {
      clearTimeout(timer);
      socket.destroy();
      reject(e);
    });
  });
}

/**
 * Judges one handshake. Precedence, worst first: expired (any certificate in the chain past notAfter),
 * not-yet-valid, hostname-mismatch, untrusted, then critical/warning/ok by the days left on the earliest-expiring
 * certificate in the chain.
 */
export function judge(
  endpoint: Endpoint,
  address: string,
  h: Handshake,
  now: Date,
  thresholds: { warningDays: number; criticalDays: number },
): CertResult {
  const leaf = h.chain[0];
  const base = { host: endpoint.host, port: endpoint.port, address };
  if (!leaf)
    return {
      ...base,
      status: "handshake-failed",
      daysRemaining: null,
      notAfter: null,
      subject: null,
      issuer: null,
      error: "no certificate presented",
    };
  const earliest = h.chain.reduce((a, c) => (Date.parse(c.valid_to) < Date.parse(a.valid_to) ? c : a));
  const notAfter = new Date(Date.parse(earliest.valid_to));
  const daysRemaining = Math.floor((notAfter.getTime() - now.getTime()) / DAY);
  const details = {
    daysRemaining,
    notAfter: notAfter.toISOString(),
    subject: name(leaf.subject),
    issuer: name(leaf.issuer),
  };
  const checkName = endpoint.servername ?? endpoint.host;
  const warningDays = endpoint.warningDays ?? thresholds.warningDays;
  const criticalDays = endpoint.criticalDays ?? thresholds.criticalDays;

  if (h.chain.some((c) => Date.parse(c.valid_to) <= now.getTime())) {
    return {
      ...base,
      status: "expired",
      ...details,
      error: `${earliest === leaf ? "certificate" : "a chain certificate"} expired ${notAfter.toISOString()}`,
    };
  }
  const notBefore = h.chain.find((c) => Date.parse(c.valid_from) > now.getTime());
  if (notBefore)
    return {
      ...base,
      status: "not-yet-valid",
      ...details,
      error: `valid only from ${new Date(Date.parse(notBefore.valid_from)).toISOString()}`,
    };
  for (const n of [checkName, ...(endpoint.requiredNames ?? [])]) {
    const problem = isIP(n) && !endpoint.servername ? undefined : tls.checkServerIdentity(n, leaf);
    if (problem) return { ...base, status: "hostname-mismatch", ...details, error: problem.message };
  }
  if (!h.authorized)
    return { ...base, status: "untrusted", ...details, error: h.authorizationError ?? "not trusted" };
  const status: CertStatus =
    daysRemaining < criticalDays ? "critical" : daysRemaining < warningDays ? "warning" : "ok";
  return { ...base, status, ...details };
}

async function checkEndpoint(endpoint: Endpoint, opts: CheckOptions): Promise<CertResult[]> {
  const empty = {
    host: endpoint.host,
    port: endpoint.port,
    daysRemaining: null,
    notAfter: null,
    subject: null,
    issuer: null,
  };
  let addresses: string[];
  if (isIP(endpoint.host)) {
    // An IP address is the only address checked; the name checked is servername.
    addresses = [endpoint.host];
  } else {
    try {
      addresses = [...new Set(await opts.resolve(endpoint.host))];
      if (addresses.length === 0) throw new Error("no A or AAAA records");
    } catch (e) {
      return [{ ...empty, address: null, status: "dns-failed", error: (e as Error).message }];
    }
  }
  return Promise.all(
    addresses.map(async (address) => {
      try {
        const h = await handshake(address, endpoint.port, endpoint.servername ?? endpoint.host, opts);
        return judge(endpoint, address, h, opts.now(), opts);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return {
          ...empty,
          address,
          status: code === "TIMEOUT" ? "timeout" : "handshake-failed",
          error: (e as Error).message,
        } as CertResult;
      }
    }),
  );
}

/** Checks every endpoint (at most `concurrency` at a time); results are in endpoint order, then address order. */
export async function checkEndpoints(
  endpoints: readonly Endpoint[],
  opts: CheckOptions,
): Promise<CertResult[]> {
  const perEndpoint = await mapLimit(endpoints, opts.concurrency, (e) => checkEndpoint(e, opts));
  return perEndpoint.flat();
}

/** Per endpoint: minimum days across addresses (null when none produced a certificate) and whether any check failed. */
export function endpointMetrics(
  results: readonly CertResult[],
): { endpoint: string; daysToExpiry: number | null; checkFailed: 0 | 1 }[] {
  const byEndpoint = new Map<string, CertResult[]>();
  for (const r of results) {
    const key = `${r.host}:${r.port}`;
    byEndpoint.set(key, [...(byEndpoint.get(key) ?? []), r]);
  }
  return [...byEndpoint].map(([endpoint, rs]) => {
    const days = rs.map((r) => r.daysRemaining).filter((d): d is number => d !== null);
    return {
      endpoint,
      daysToExpiry: days.length ? Math.min(...days) : null,
      checkFailed: rs.some((r) => FAILED.has(r.status)) ? 1 : 0,
    };
  });
}
