// Certificates generated on the fly (a CA, intermediates, leaves with chosen validity and names) and local TLS servers.
import { generateKeyPairSync } from "node:crypto";
import * as net from "node:net";
import * as tls from "node:tls";
import forge from "node-forge";

const DAY = 86_400_000;

export interface Issued {
  readonly certPem: string;
  readonly keyPem: string;
  readonly cert: forge.pki.Certificate;
  readonly key: forge.pki.PrivateKey;
}

let serial = 1;

/** RSA keys from Node's native generator (forge's pure-JS keygen is slow); one per call. */
function keyPair(): { privateKey: forge.pki.PrivateKey; publicKey: forge.pki.PublicKey; keyPem: string } {
  // 1024 bits: enough for loopback test servers (OpenSSL security level 1, Node's default, accepts it) and some 30x
  // faster to generate than 2048, which took seconds per key on a loaded machine and dominated the TLS tests.
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const keyPem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();
  const key = forge.pki.privateKeyFromPem(keyPem) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), keyPem };
}

export interface CertSpec {
  readonly commonName: string;
  readonly altNames?: readonly string[];
  /** Validity relative to `now`, in days (negative = in the past). */
  readonly notBeforeDays?: number;
  readonly notAfterDays: number;
  readonly isCa?: boolean;
  /** Signed by this issuer; self-signed when absent. */
  readonly issuer?: Issued;
  readonly now?: Date;
}

export function issue(spec: CertSpec): Issued {
  const now = spec.now ?? new Date();
  const { privateKey, publicKey, keyPem } = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = (serial++).toString(16).padStart(2, "0");
  cert.validity.notBefore = new Date(now.getTime() + (spec.notBeforeDays ?? -1) * DAY);
  cert.validity.notAfter = new Date(now.getTime() + spec.notAfterDays * DAY);
  const subject = [{ name: "commonName", value: spec.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(spec.issuer ? spec.issuer.cert.subject.attributes : subject);
  const extensions: object[] = [{ name: "basicConstraints", cA: spec.isCa ?? false, critical: true }];
  if (spec.isCa) extensions.push({ name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true });
  else {
    extensions.push({ name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true });
    extensions.push({ name: "extKeyUsage", serverAuth: true });
    const names = spec.altNames ?? [spec.commonName];
    extensions.push({
      name: "subjectAltName",
      altNames: names.map((n) => (net.isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })),
    });
  }
  cert.setExtensions(extensions);
  cert.sign((spec.issuer?.key ?? privateKey) as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem, cert, key: privateKey };
}

export interface LocalServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

/** A site's certificate and the intermediates sent with it. */
export interface Site {
  readonly leaf: Issued;
  readonly chain?: readonly Issued[];
}

/**
 * A TLS server on a loopback address. Like a real server with many sites behind one address, it chooses the
 * certificate by the name the client sends (SNI): `sni` maps names to sites, and `leaf` plus `chain` is the default
 * certificate, presented to a client that sends no name or one the server does not know.
 */
export function startTlsServer(
  leaf: Issued,
  chain: readonly Issued[] = [],
  opts: { host?: string; port?: number; latencyMs?: number; sni?: Readonly<Record<string, Site>> } = {},
): Promise<LocalServer> {
  const contextOf = (site: Site) => {
    const options = {
      key: site.leaf.keyPem,
      cert: [site.leaf, ...(site.chain ?? [])].map((c) => c.certPem).join(""),
    };
    return { options, context: tls.createSecureContext(options) };
  };
  const fallback = contextOf({ leaf, chain });
  const byName = new Map(
    Object.entries(opts.sni ?? {}).map(([n, site]) => [n.toLowerCase(), contextOf(site).context]),
  );
  const server = tls.createServer(
    {
      ...fallback.options,
      // Called with the client's SNI name before the handshake proceeds; injected latency delays the answer.
      SNICallback: (servername: string, cb: (e: Error | null, ctx?: tls.SecureContext) => void) => {
        const context = byName.get(servername.toLowerCase()) ?? fallback.context;
        if (opts.latencyMs) setTimeout(() => cb(null, context), opts.latencyMs);
        else cb(null, context);
      },
    },
    (socket) => socket.end(),
  );
  return listen(server, opts.host ?? "127.0.0.1", opts.port ?? 0);
}

/** A server that accepts TCP and never says a word (handshake timeout). */
export function startSilentServer(host = "127.0.0.1"): Promise<LocalServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return listen(server, host, 0, () => {
    for (const s of sockets) s.destroy();
  });
}

function listen(
  server: net.Server,
  host: string,
  port: number,
  beforeClose?: () => void,
): Promise<LocalServer> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const address = server.address() as net.AddressInfo;
      resolve({
        host,
        port: address.port,
        close: () =>
          new Promise<void>((done) => {
            beforeClose?.();
            server.close(() => done());
          }),
      });
    });
  });
}

/** A port nothing listens on: bind, read the port, close. */
export async function closedPort(): Promise<number> {
  const s = await listen(net.createServer(), "127.0.0.1", 0);
  await s.close();
  return s.port;
}
