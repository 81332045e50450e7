// Composes a stack from its validated config: the shared pieces (keys, paging, schedule group, job defaults), then
// each capability in the list, then the dashboard from their inputs. Shared by index.ts (pulumi up) and the plan.
import { backups } from "./backups/capability";
import type { CapabilityReport, SharedPieces, StackCapability } from "./capability";
import { certificates } from "./certificates/capability";
import { databaseMaintenance } from "./db-maintenance/capability";
import type { StackConfig } from "./config";
import { EncryptionKeys } from "./core/encryption-keys";
import { OnCallPaging } from "./core/on-call-paging";
import { KEY_PURPOSES, type KeyPurpose } from "./core/policies/key-policy";
import { MaintenanceScheduleGroup } from "./core/schedule-group";
import { dashboardSpec, StackDashboard } from "./dashboard/dashboard";
import { hosts } from "./host-maintenance/capability";
import { logs } from "./logs/capability";
import { rotation } from "./rotation/capability";
import { ScheduleCatalog } from "./core/schedule-catalog";
import { reminders } from "./reminders/capability";
import { service } from "./service/capability";

export interface StackOutputs {
  /** Things a reviewer must see (DST-gap schedules, databases without automated backup); the plan prints them. */
  readonly warnings: string[];
  /** Lines for the plan summary (databases with schedule, policy and steady-state snapshot count, ...). */
  readonly notes: string[];
}

/**
 * The stack's capabilities, each reading its own config section; their warnings and notes print in this order. A new
 * capability is one more entry here (and its folder under infra/). Reminders stay last: a lead time may announce
 * any schedule the others declared (shared.schedules).
 */
export const CAPABILITIES: readonly StackCapability[] = [
  backups,
  certificates,
  logs,
  service,
  rotation,
  hosts,
  databaseMaintenance,
  reminders,
];

export function buildStack(cfg: StackConfig): StackOutputs {
  const extraRegions = [...new Set(CAPABILITIES.flatMap((c) => c.extraRegions(cfg)))];
  const extraKeys = [...new Set(CAPABILITIES.flatMap((c) => c.keyPurposes(cfg)))];
  const shared = declareSharedPieces(cfg, extraRegions, extraKeys);
  // In list order: a capability may read what earlier ones reported (database maintenance reads the dumps' buckets).
  const reports: CapabilityReport[] = [];
  for (const c of CAPABILITIES) {
    const report = c.declare(cfg, shared, reports);
    if (report) reports.push(report);
  }
  declareDashboard(shared, reports);
  return {
    warnings: reports.flatMap((r) => r.warnings),
    notes: reports.flatMap((r) => r.notes),
  };
}

/** Keys, paging and the schedule group every capability builds on, and the defaults every job shares. */
function declareSharedPieces(
  cfg: StackConfig,
  extraRegions: readonly string[],
  extraKeys: readonly KeyPurpose[],
): SharedPieces {
  const prefix = cfg.app.name;
  const tags = {
    ...cfg.app.tags,
    app: cfg.app.name,
    environment: cfg.app.environment,
    stack: cfg.stack,
    "managed-by": "maintenance-stack",
    ...(cfg.app.owner ? { owner: cfg.app.owner } : {}),
  };

  const keys = new EncryptionKeys(`${prefix}-keys`, {
    namePrefix: prefix,
    purposes: [...KEY_PURPOSES, ...extraKeys],
    rotationPeriodDays: cfg.encryption.rotationDays,
    deletionWindowDays: cfg.encryption.deletionWindowDays,
    ...(cfg.encryption.drRegion ? { drRegion: cfg.encryption.drRegion } : {}),
    extraMessagingRegions: extraRegions,
    protect: cfg.isProd,
    tags,
  });
  const messagingKmsKeyArns = { [cfg.region]: keys.arn("messaging"), ...keys.regionalMessagingArns };

  const paging = new OnCallPaging(`${prefix}-paging`, {
    stack: cfg.stack,
    namePrefix: prefix,
    runbookBaseUrl: cfg.app.runbookBaseUrl,
    actionsEnabled: cfg.paging.actionsEnabled,
    regions: [cfg.region, ...extraRegions],
    kmsKeyArns: messagingKmsKeyArns,
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

  const catalog = new ScheduleCatalog();
  const schedules = new MaintenanceScheduleGroup(`${prefix}-schedules`, {
    namePrefix: prefix,
    routing: paging.routing,
    tags,
  });
  return {
    stack: cfg.stack,
    namePrefix: prefix,
    region: cfg.region,
    timezone: cfg.app.timezone,
    ...(cfg.app.runbook ? { runbook: cfg.app.runbook } : {}),
    protect: cfg.isProd,
    ...(cfg.encryption.drRegion ? { drRegion: cfg.encryption.drRegion } : {}),
    tags,
    keys,
    messagingKmsKeyArns,
    routing: paging.routing,
    scheduleGroupName: schedules.groupName,
    maintenanceWindows: cfg.monitoring?.maintenanceWindows ?? [],
    schedules: catalog,
    jobDefaults: {
      scheduleGroupName: schedules.groupName,
      logRetentionDays: cfg.jobs.logRetentionDays,
      logsKmsKeyArn: keys.arn("logs"),
      messagingKmsKeyArn: keys.arn("messaging"),
      routing: paging.routing,
      retry: {
        schedulerMaxAttempts: cfg.jobs.schedulerRetry.maximumRetryAttempts,
        schedulerMaxEventAgeSeconds: cfg.jobs.schedulerRetry.maximumEventAgeSeconds,
        lambdaMaxRetries: cfg.jobs.lambdaRetry.maximumRetryAttempts,
        lambdaMaxEventAgeSeconds: cfg.jobs.lambdaRetry.maximumEventAgeSeconds,
      },
      tags,
      scheduleCatalog: catalog,
    },
  };
}

/** One dashboard per stack, from what each capability put on it. */
function declareDashboard(shared: SharedPieces, reports: readonly CapabilityReport[]): void {
  new StackDashboard(`${shared.namePrefix}-dashboard`, {
    namePrefix: shared.namePrefix,
    spec: dashboardSpec(
      shared,
      reports.map((r) => r.dashboard),
    ),
  });
}
