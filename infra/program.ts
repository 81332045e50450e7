// Composes a stack's components from its validated config; shared by index.ts (pulumi up) and the offline plan.
import type { StackConfig } from "./config";
import { CertificateMonitor } from "./certificates/certificate-monitor";
import { DatabaseBackups } from "./backups/database-backups";
import { StackDashboard } from "./dashboard/dashboard";
import { LogArchive } from "./logs/log-archive";
import { dumpDatabases, LogicalBackups } from "./backups/logical-backups";
import { physicalName } from "./core/naming";
import * as pulumi from "@pulumi/pulumi";
import { EncryptionKeys } from "./core/encryption-keys";
import { OnCallPaging } from "./core/on-call-paging";
import { ServiceMonitoring } from "./service/service-monitoring";
import { MaintenanceScheduleGroup } from "./core/schedule-group";

export interface StackOutputs {
  /** Things a reviewer must see (DST-gap schedules, databases without automated backup); the plan prints them. */
  readonly warnings: string[];
  /** Lines for the plan summary (databases with schedule, policy and steady-state snapshot count, ...). */
  readonly notes: string[];
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
    ...(cfg.app.owner ? { owner: cfg.app.owner } : {}),
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

  const schedules = new MaintenanceScheduleGroup(`${prefix}-schedules`, {
    namePrefix: prefix,
    routing: paging.routing,
    tags,
  });
  const jobDefaults = {
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
  };

  const notes: string[] = [];
  const dumpJobs: string[] = [];
  if (cfg.backups) {
    // Snapshots and dumps of the stack's databases share the job defaults, the config and the backups key.
    const backupArgs = {
      ...jobDefaults,
      stack: cfg.stack,
      namePrefix: prefix,
      region: cfg.region,
      timezone: cfg.app.timezone,
      config: cfg.backups,
      kmsKeyArn: keys.arn("backups"),
    };
    const backups = new DatabaseBackups(`${prefix}-backups`, {
      ...backupArgs,
      ...(cfg.backups.copyToDr && cfg.encryption.drRegion && keys.drBackupsKeyArn
        ? { dr: { region: cfg.encryption.drRegion, kmsKeyArn: keys.drBackupsKeyArn } }
        : {}),
    });
    warnings.push(...backups.warnings, ...backups.jobWarnings());
    const r = cfg.backups.retention ?? {};
    const policy = Object.entries(r)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    const dumps = dumpDatabases(cfg.backups);
    if (dumps.length > 0) {
      const logical = new LogicalBackups(`${prefix}-dumps`, { ...backupArgs, protect: cfg.isProd });
      warnings.push(...logical.warnings);
      dumpJobs.push(...logical.lambdaJobs);
    }
    for (const b of backups.summary) {
      const dump = dumps.find((d) => d.name === b.database);
      if (dump) {
        const tiers = Object.entries(dump.dump.tiers)
          .map(
            ([tier, t]) =>
              `${tier} ${t!.expression} ${dump.dump.timezone ?? cfg.app.timezone} kept ${t!.retention}d${t!.objectLock ? ` (Object Lock ${t!.objectLock})` : ""}`,
          )
          .join("; ");
        notes.push(
          `database ${b.database} (${b.kind}): logical dump on ${dump.dump.runsOn}: ${tiers}; verified hourly, RPO ${dump.dump.rpoHours ?? cfg.backups.rpoHours}h`,
        );
      }
      if (b.steadyStateSnapshots !== null) {
        notes.push(
          `database ${b.database} (${b.kind}): ${b.schedules.join("; ")}; retention ${policy} floor ${cfg.backups.keepLastFloor}; steady state ~${b.steadyStateSnapshots} snapshots${cfg.backups.copyToDr ? ` (and as many DR copies in ${cfg.encryption.drRegion})` : ""}`,
        );
      } else if (!dump) {
        notes.push(`database ${b.database} (${b.kind}): NO AUTOMATED BACKUP`);
      }
    }
  }

  if (cfg.certificates) {
    const certs = new CertificateMonitor(`${prefix}-certs`, {
      ...jobDefaults,
      stack: cfg.stack,
      namePrefix: prefix,
      timezone: cfg.app.timezone,
      config: cfg.certificates,
    });
    warnings.push(...certs.warnings);
    for (const e of cfg.certificates.endpoints) {
      notes.push(
        `certificate ${e.host}:${e.port}: warning < ${e.warningDays ?? cfg.certificates.warningDays}d, critical < ${e.criticalDays ?? cfg.certificates.criticalDays}d`,
      );
    }
  }

  if (cfg.logs) {
    const logs = new LogArchive(`${prefix}-logs`, {
      ...jobDefaults,
      stack: cfg.stack,
      namePrefix: prefix,
      region: cfg.region,
      config: cfg.logs,
      protect: cfg.isProd,
    });
    warnings.push(...logs.warnings);
    const a = cfg.logs.archive;
    notes.push(
      `logs: hot ${cfg.logs.hotRetentionDays}d in CloudWatch; archive ${[...a.transitions.map((t) => `${t.storageClass} at ${t.days}d`), `expire at ${a.expirationDays}d`].join(", ")}; ` +
        `${cfg.logs.logGroups
          .map((g) => `${g.name} (${g.path})`)
          .concat(cfg.logs.logGroupPrefixes.map((p) => `${p}* (export)`))
          .join(", ")}`,
    );
  }

  let serviceAlarmArns: pulumi.Output<string>[] = [];
  if (cfg.monitoring) {
    const service = new ServiceMonitoring(`${prefix}-service`, {
      stack: cfg.stack,
      namePrefix: prefix,
      region: cfg.region,
      timezone: cfg.app.timezone,
      config: cfg.monitoring,
      routing: paging.routing,
      scheduleGroupName: schedules.groupName,
      messagingKmsKeyArns: { [cfg.region]: keys.arn("messaging"), ...keys.regionalMessagingArns },
      tags,
    });
    serviceAlarmArns = service.pagingAlarmArns;
    for (const w of cfg.monitoring.maintenanceWindows) {
      notes.push(
        `maintenance window ${w.name}: ${w.day} ${w.start}-${w.end} ${w.timezone ?? cfg.app.timezone} (service alarms muted)`,
      );
    }
  }

  const hasRds =
    cfg.backups?.databases.some((d) => d.kind === "rds-instance" || d.kind === "aurora-cluster") ?? false;
  const jobs = [
    ...(hasRds ? ["backup", "backup-verify"] : []),
    ...(cfg.certificates?.endpoints.length ? ["cert-check"] : []),
    ...(cfg.logs ? ["log-archive"] : []),
    ...dumpJobs,
  ].map((job) => ({ job, functionName: physicalName("lambdaFunction", prefix, job) }));
  new StackDashboard(`${prefix}-dashboard`, {
    namePrefix: prefix,
    spec: pulumi.all(serviceAlarmArns).apply((alarmArns) => ({
      stack: cfg.stack,
      region: cfg.region,
      jobs,
      databases: hasRds
        ? (cfg.backups?.databases
            .filter((d) => d.kind !== "self-hosted" && d.kind !== "supabase")
            .map((d) => d.name) ?? [])
        : [],
      dumpDatabases: cfg.backups ? dumpDatabases(cfg.backups).map((d) => d.name) : [],
      endpoints: cfg.certificates?.endpoints.map((e) => `${e.host}:${e.port}`) ?? [],
      logGroups: cfg.logs?.logGroups.filter((g) => g.path === "export").map((g) => g.name) ?? [],
      alarmArns,
    })),
  });

  return { warnings, notes };
}
