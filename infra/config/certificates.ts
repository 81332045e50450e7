// Config section `maintenance:certificates`: endpoints to check, thresholds from the runbooks, cadence, ACM certificates.
import { z } from "zod";
import { endpointSchema } from "../../lambdas/cert-check/config";
import { arn, scheduleEntry } from "./rules";

export const certificatesSection = z
  .object({
    endpoints: z.array(endpointSchema).default([]),
    /** Runbooks: "alert if < 30 days". */
    warningDays: z.number().positive().default(30),
    criticalDays: z.number().positive().default(7),
    /** certbot renews twice a day ("0 0,12 * * *"); checking on the same cadence sees a renewal within 12 hours. */
    schedule: scheduleEntry.default({ name: "twice-daily", expression: "cron(0 0,12 * * ? *)" }),
    /** How long a below-warning reading must persist before the warning fires (certbot renews at 30 days). */
    warningPersistHours: z.int().min(1).max(168).default(36),
    acmCertificateArns: z.array(arn("acm")).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.criticalDays >= c.warningDays) {
      ctx.addIssue({
        code: "custom",
        path: ["criticalDays"],
        message: `must be below warningDays (${c.warningDays})`,
      });
    }
    if (c.endpoints.length === 0 && c.acmCertificateArns.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["endpoints"],
        message: "list at least one endpoint or ACM certificate",
      });
    }
    const seen = new Set<string>();
    for (const [i, e] of c.endpoints.entries()) {
      const warning = e.warningDays ?? c.warningDays;
      const critical = e.criticalDays ?? c.criticalDays;
      if (warning < critical)
        ctx.addIssue({
          code: "custom",
          path: ["endpoints", i, e.warningDays !== undefined ? "warningDays" : "criticalDays"],
          message: `warningDays ${warning} is below criticalDays ${critical} for ${e.host}: the warning must come before the critical alarm`,
        });
      const key = `${e.host}:${e.port}`;
      if (seen.has(key))
        ctx.addIssue({ code: "custom", path: ["endpoints", i], message: `duplicate endpoint ${key}` });
      seen.add(key);
    }
  });
export type CertificatesConfig = z.infer<typeof certificatesSection>;
