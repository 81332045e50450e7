// The certificates capability (`maintenance:certificates`): TLS checks and ACM alarms, a summary line per endpoint,
// and the endpoints' days to expiry on the dashboard.
import { capability, jobComponentArgs } from "../capability";
import { CertificateMonitor } from "./certificate-monitor";

export const certificates = capability({
  section: "certificates",
  declare(config, shared) {
    const certs = new CertificateMonitor(`${shared.namePrefix}-certs`, {
      ...jobComponentArgs(shared),
      timezone: shared.timezone,
      config,
    });
    return {
      warnings: certs.warnings,
      notes: config.endpoints.map(
        (e) =>
          `certificate ${e.host}:${e.port}: warning < ${e.warningDays ?? config.warningDays}d, critical < ${e.criticalDays ?? config.criticalDays}d`,
      ),
      dashboard: {
        jobs: config.endpoints.length ? [{ job: "cert-check" }] : [],
        endpoints: config.endpoints.map((e) => `${e.host}:${e.port}`),
      },
    };
  },
});
