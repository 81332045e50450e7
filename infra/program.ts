// Composes a stack's components from its validated config; shared by index.ts (pulumi up) and the offline plan.
import type { StackConfig } from "./config";
import { EncryptionKeys } from "./encryption-keys";
import { OnCallPaging } from "./on-call-paging";
import { MaintenanceScheduleGroup } from "./schedule-group";

export interface StackOutputs {
  /** Things a reviewer must see (DST-gap schedules, databases without automated backup); the plan prints them. */
  readonly warnings: string[];
}

/** Route 53 publishes health-check metrics only in us-east-1, so their alarms (and topics, keys) live there. */
export const ROUTE53_METRICS_REGION = "us-east-1";

export function buildStack(cfg: StackConfig): StackOutputs {
  const warnings: string[] = [];
  const prefix = cfg.app.name;
  const tags = {
    ...cfg.app.tags,
    app: cfg.app.name,
    environment: cfg.app.environment,
    stack: cfg.stack,
    "managed-by": "maintenance-stack",
  };
  const needsUsEast1 =
    (cfg.monitoring?.healthChecks.length ?? 0) > 0 && cfg.region !== ROUTE53_METRICS_REGION;
  const extraRegions = needsUsEast1 ? [ROUTE53_METRICS_REGION] : [];

  const keys = new EncryptionKeys(`${prefix}-keys`, {
    namePrefix: prefix,
    rotationPeriodDays: cfg.encryption.rotationDays,
    deletionWindowDays: cfg.encryption.deletionWindowDays,
    ...(cfg.encryption.drRegion ? { drRegion: cfg.encryption.drRegion } : {}),
    extraMessagingRegions: extraRegions,
    protect: cfg.isProd,
    tags,
  });

  const paging = new OnCallPaging(`${prefix}-paging`, {
    stack: cfg.stack,
    namePrefix: prefix,
    runbookBaseUrl: cfg.app.runbookBaseUrl,
    actionsEnabled: cfg.paging.actionsEnabled,
    regions: [cfg.region, ...extraRegions],
    kmsKeyArns: { [cfg.region]: keys.arn("messaging"), ...keys.regionalMessagingArns },
    critical: cfg.paging.pager === "none" ? {} : { pagerUrl: cfg.secrets.pagerUrl },
    warning: {
      emails: cfg.paging.warning.emails,
      ...(cfg.paging.warning.chatWebhook ? { webhookUrl: cfg.secrets.chatWebhookUrl } : {}),
    },
    info: {
      emails: cfg.paging.info.emails,
      ...(cfg.paging.info.chatWebhook ? { webhookUrl: cfg.secrets.chatWebhookUrl } : {}),
    },
    tags,
  });

  new MaintenanceScheduleGroup(`${prefix}-schedules`, { namePrefix: prefix, routing: paging.routing, tags });

  return { warnings };
}
