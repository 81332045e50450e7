// The contract every capability fulfils: it reads its own config section, declares its components on the stack's
// shared pieces, and reports its warnings, summary notes and dashboard inputs. infra/program.ts lists them.
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";
import type { MaintenanceWindowConfig } from "./config/monitoring";
import type { AlarmRouting } from "./core/alarm";
import type { EncryptionKeys } from "./core/encryption-keys";
import type { JobDefaults } from "./core/job/job-args";
import type { KeyPurpose } from "./core/policies/key-policy";
import type { ScheduleCatalog } from "./core/schedule-catalog";

/** What every capability of a stack builds on, declared once by buildStack before any capability. */
export interface SharedPieces {
  readonly stack: string;
  /** The app's name: the prefix of every component and physical name. */
  readonly namePrefix: string;
  readonly region: string;
  /** The app's timezone, the default of every schedule. */
  readonly timezone: string;
  /** Where the application keeps the runbook this stack mirrors (`app.runbook`), when the stack names it. */
  readonly runbook?: string;
  /** prod: protect what holds data (buckets, the image repository) from `pulumi destroy`. */
  readonly protect: boolean;
  /** The region DR copies go to, when the stack has one (`encryption.drRegion`). */
  readonly drRegion?: string;
  readonly tags: Record<string, string>;
  readonly keys: EncryptionKeys;
  /** The messaging key of every region that has paging topics, the stack's own first. */
  readonly messagingKmsKeyArns: Readonly<Record<string, pulumi.Input<string>>>;
  readonly routing: AlarmRouting;
  readonly scheduleGroupName: pulumi.Output<string>;
  /** What every job shares: schedule group, log retention and keys, routing, retries, tags, the catalog. */
  readonly jobDefaults: JobDefaults;
  /** The stack's maintenance windows (`monitoring.maintenanceWindows`): when heavy work may run. */
  readonly maintenanceWindows: readonly MaintenanceWindowConfig[];
  /** Every schedule declared so far, by reference (jobs add theirs through jobDefaults, windows by name). */
  readonly schedules: ScheduleCatalog;
}

/** What every component that runs jobs takes from the shared pieces: the job defaults, the stack and the prefix. */
export function jobComponentArgs(shared: SharedPieces): JobDefaults & { stack: string; namePrefix: string } {
  return { ...shared.jobDefaults, stack: shared.stack, namePrefix: shared.namePrefix };
}

/** A Lambda job on the dashboard (its metrics are Lambda's, by function name). */
export interface DashboardJob {
  readonly job: string;
  /** Runs a container image; image jobs are listed after every capability's zip jobs. */
  readonly image?: boolean;
}

/** What a capability puts on the stack's dashboard; the stack concatenates them in list order. */
export interface DashboardInputs {
  readonly jobs?: readonly DashboardJob[];
  /** RDS databases with snapshot metrics. */
  readonly databases?: readonly string[];
  /** Databases backed up by logical dumps. */
  readonly dumpDatabases?: readonly string[];
  /** Certificate endpoints (`host:port`). */
  readonly endpoints?: readonly string[];
  /** Log groups exported to the archive. */
  readonly logGroups?: readonly string[];
  /** Alarms for the alarm widget. */
  readonly alarmArns?: readonly pulumi.Output<string>[];
}

/** Where a stack's verified dumps are (the backups capability's buckets), for jobs that must not outrun its RPO. */
export interface DumpStore {
  readonly bucketNames: readonly pulumi.Output<string>[];
  readonly bucketArns: readonly pulumi.Output<string>[];
}

/** What a capability reports back to the stack. */
export interface CapabilityReport {
  /** Things a reviewer must see (DST-gap schedules, databases without automated backup); the plan prints them. */
  readonly warnings: readonly string[];
  /** Lines for the plan summary. */
  readonly notes: readonly string[];
  readonly dashboard: DashboardInputs;
  /** The dumps' buckets, when this capability declared them (later capabilities read them). */
  readonly dumpStore?: DumpStore;
}

/** What a capability may read besides its own section: the whole config, and what earlier capabilities reported. */
export interface StackContext {
  readonly cfg: StackConfig;
  readonly earlier: readonly CapabilityReport[];
}

/** The config sections a stack may leave out: one per capability. */
export type CapabilitySection = {
  [K in keyof StackConfig]-?: undefined extends StackConfig[K] ? K : never;
}[keyof StackConfig];

export interface Capability<K extends CapabilitySection> {
  /** Its config section; when a stack file has none, nothing of the capability is declared. */
  readonly section: K;
  /** Regions besides the stack's own whose alarms need messaging keys and paging topics. @default none */
  extraRegions?(config: NonNullable<StackConfig[K]>, region: string): readonly string[];
  /** Stack keys beyond the three every stack has (a `secrets` key for secrets it creates). @default none */
  keyPurposes?(config: NonNullable<StackConfig[K]>): readonly KeyPurpose[];
  /** Declares the capability's components and reports what the plan and the dashboard show. */
  declare(config: NonNullable<StackConfig[K]>, shared: SharedPieces, context: StackContext): CapabilityReport;
}

/** A capability whose section type is erased, so that the stack can hold a list of them. */
export interface StackCapability {
  readonly section: CapabilitySection;
  extraRegions(cfg: StackConfig): readonly string[];
  keyPurposes(cfg: StackConfig): readonly KeyPurpose[];
  /** The capability's report, or undefined when the stack does not configure it. */
  declare(
    cfg: StackConfig,
    shared: SharedPieces,
    earlier?: readonly CapabilityReport[],
  ): CapabilityReport | undefined;
}

export function capability<K extends CapabilitySection>(c: Capability<K>): StackCapability {
  const sectionOf = (cfg: StackConfig) => cfg[c.section] as NonNullable<StackConfig[K]> | undefined;
  return {
    section: c.section,
    extraRegions: (cfg) => {
      const section = sectionOf(cfg);
      return section === undefined ? [] : (c.extraRegions?.(section, cfg.region) ?? []);
    },
    keyPurposes: (cfg) => {
      const section = sectionOf(cfg);
      return section === undefined ? [] : (c.keyPurposes?.(section) ?? []);
    },
    declare: (cfg, shared, earlier = []) => {
      const section = sectionOf(cfg);
      return section === undefined ? undefined : c.declare(section, shared, { cfg, earlier });
    },
  };
}
