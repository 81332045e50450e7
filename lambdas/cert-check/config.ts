// JOB_CONFIG and event schemas of the certificate check.
import { z } from "zod";

export const endpointSchema = z
  .object({
    host: z.string().min(1).max(253),
    port: z.int().min(1).max(65_535).default(443),
    /** SNI name (and the name checked) when it differs from host, e.g. when host is an IP address. */
    servername: z.string().min(1).max(253).optional(),
    /** Names the certificate must also cover. */
    requiredNames: z.array(z.string().min(1)).optional(),
    warningDays: z.number().positive().optional(),
    criticalDays: z.number().positive().optional(),
  })
  .strict();
export type EndpointInput = z.input<typeof endpointSchema>;
export type Endpoint = z.infer<typeof endpointSchema>;

export const certConfigSchema = z
  .object({
    endpoints: z.array(endpointSchema).default([]),
    /** Runbooks: "alert if < 30 days". */
    warningDays: z.number().positive().default(30),
    criticalDays: z.number().positive().default(7),
    timeoutMs: z.int().min(100).max(60_000).default(10_000),
    concurrency: z.int().min(1).max(100).default(10),
  })
  .strict();
export type CertConfig = z.infer<typeof certConfigSchema>;

export const certEventSchema = z
  .object({
    /** Overrides the configured list for this run. */
    endpoints: z.array(endpointSchema).min(1).optional(),
    scheduledTime: z.string().optional(),
  })
  .strict();
