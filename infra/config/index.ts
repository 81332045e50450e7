// Reads a stack's config once, validates it against one schema, and returns the typed result components are built from.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeConfig from "@pulumi/pulumi/runtime/config";
import { z } from "zod";
import { appSection, encryptionSection, fargateHeartbeatTooLong, jobsSection, pagingSection } from "./base";
import { backupsSection, drillProblems, dumpRpoProblem } from "./backups";
import { certificatesSection } from "./certificates";
import { resolveWindow } from "./host-windows";
import { hostsSection } from "./hosts";
import { databaseMaintenanceSection } from "./db-maintenance";
import { maintenanceTaskProblems } from "./db-maintenance-rules";
import { logsSection } from "./logs";
import { describeIssue, nearestKey } from "./errors";
import { monitoringSection } from "./monitoring";
import { reminderWindowProblems, remindersSection } from "./reminders";
import { region } from "./rules";
import { rotationSection, rotationWindowProblem } from "./rotation";

/** Every key of this project lives under `maintenance:` in stacks/Pulumi.<stack>.yaml. */
export const NAMESPACE = "maintenance";

/**
 * Config sections, one per capability; a capability's section may be absent and then nothing of it is declared.
 * Each schema is strict: a misspelt key is an error, not a silently ignored setting.
 */
export const SECTIONS = {
  app: appSection,
  paging: pagingSection,
  encryption: encryptionSection.default({ rotationDays: 365, deletionWindowDays: 30 }),
  jobs: jobsSection.default(jobsSection.parse({})),
  backups: backupsSection.optional(),
  certificates: certificatesSection.optional(),
  logs: logsSection.optional(),
  monitoring: monitoringSection.optional(),
  hosts: hostsSection.optional(),
  rotation: rotationSection.optional(),
  reminders: remindersSection.optional(),
  databaseMaintenance: databaseMaintenanceSection.optional(),
} as const;

/** Keys that hold secrets: they must be set with `pulumi config set --secret` and are never parsed as sections. */
export const SECRET_KEYS = {
  /** PagerDuty/Opsgenie CloudWatch integration URL for the critical topic. */
  pagerUrl: z.url({
    protocol: /^https$/,
    error: "must be an https:// URL (the pager's CloudWatch integration URL)",
  }),
  /** Chat webhook (https) for warning/info channels that set `chatWebhook: true`. */
  chatWebhookUrl: z.url({ protocol: /^https$/, error: "must be an https:// URL" }),
} as const;

const stackSchema = z.object({
  region,
  ...Object.fromEntries(Object.entries(SECTIONS)),
} as { region: typeof region } & typeof SECTIONS);

type Sections = z.infer<typeof stackSchema>;
export type SecretKey = keyof typeof SECRET_KEYS;

export interface StackConfig extends Sections {
  readonly stack: string;
  readonly stackFile: string;
  readonly isProd: boolean;
  /** Secret values, wrapped as Pulumi secrets so they never appear in plan output or state in plain text. */
  readonly secrets: Partial<Record<SecretKey, pulumi.Output<string>>>;
}

/** Where config comes from: the Pulumi runtime for `pulumi up`, the stack file for the offline plan and tests. */
export interface ConfigSource {
  readonly stack: string;
  /** Full keys (`maintenance:paging`, `aws:region`) to raw values (JSON text for structured values). */
  entries(): Record<string, string>;
  isSecret(key: string): boolean;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly stackFile: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${stackFile} has ${problems.length} invalid setting${problems.length === 1 ? "" : "s"}; nothing was deployed:\n` +
        problems.map((p) => `  - ${p}`).join("\n"),
    );
  }
}

export function stackFileOf(stack: string): string {
  return `stacks/Pulumi.${stack}.yaml`;
}

/** The running Pulumi program's config. */
export function pulumiConfigSource(): ConfigSource {
  return {
    stack: pulumi.getStack(),
    entries: () => runtimeConfig.allConfig(),
    // isConfigSecret is marked @internal upstream but is how the runtime itself knows a key was set with --secret.
    isSecret: (key) =>
      (runtimeConfig as unknown as { isConfigSecret(k: string): boolean }).isConfigSecret(key),
  };
}

const SECRET_LOOKING_VALUE =
  /(events\.pagerduty\.com|api\.opsgenie\.com|hooks\.slack\.com|webhook\.office\.com|discord(app)?\.com\/api\/webhooks)/i;

function parseValue(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function keyPath(key: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === "number" ? `${acc}[${p}]` : `${acc}.${String(p)}`),
    key,
  );
}

/**
 * Validates everything and throws one ConfigError listing every problem (file, key path, what is allowed) before a
 * single resource is declared.
 */
export function loadConfig(source: ConfigSource): StackConfig {
  const stackFile = stackFileOf(source.stack);
  const entries = source.entries();
  const problems: string[] = [];
  const raw: Record<string, unknown> = { region: entries["aws:region"] };
  if (entries["aws:region"] === undefined)
    problems.push("aws:region: required (the stack's primary AWS region)");

  const secretValues: Partial<Record<SecretKey, string>> = {};
  for (const [fullKey, value] of Object.entries(entries)) {
    const [ns, ...rest] = fullKey.split(":");
    if (ns !== NAMESPACE) continue;
    const key = rest.join(":");
    if (key in SECRET_KEYS) {
      const secretKey = key as SecretKey;
      if (!source.isSecret(fullKey)) {
        problems.push(
          `${fullKey}: is stored in plain text; it must be a secret: remove it from ${stackFile} and run ` +
            `\`pulumi config set --secret ${fullKey} <value>\``,
        );
        continue;
      }
      const checked = SECRET_KEYS[secretKey].safeParse(value);
      // The value is secret: report what is wrong with it, never the value itself.
      if (!checked.success) problems.push(`${fullKey}: ${checked.error.issues[0]?.message ?? "invalid"}`);
      else secretValues[secretKey] = checked.data;
      continue;
    }
    if (!(key in SECTIONS)) {
      const allowed = [...Object.keys(SECTIONS), ...Object.keys(SECRET_KEYS)];
      const near = nearestKey(key, allowed);
      problems.push(
        near
          ? `${fullKey}: unknown key; did you mean ${NAMESPACE}:${near}?`
          : `${fullKey}: unknown key; allowed keys are ${allowed.map((k) => `${NAMESPACE}:${k}`).join(", ")}`,
      );
      continue;
    }
    const parsed = parseValue(value);
    if (typeof value === "string" && SECRET_LOOKING_VALUE.test(value)) {
      problems.push(
        `${fullKey}: contains what looks like a pager or webhook URL in plain text; put it in ` +
          `${NAMESPACE}:pagerUrl or ${NAMESPACE}:chatWebhookUrl with \`pulumi config set --secret\``,
      );
    }
    raw[key] = parsed;
  }

  const result = stackSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const [section, ...path] = issue.path;
      const key = section === "region" ? "aws:region" : `${NAMESPACE}:${String(section ?? "")}`;
      const missing = issue.code === "invalid_type" && valueAt(raw, issue.path) === undefined;
      const message = missing ? "required" : describeIssue(issue, stackSchema);
      problems.push(`${keyPath(key, path)}: ${message}`);
    }
  }

  // Cross-section rules run on every section that is valid by itself, so one round reports every problem.
  problems.push(...crossSectionProblems(result.success ? result.data : validSections(raw), secretValues));

  if (problems.length > 0) throw new ConfigError(stackFile, problems);
  const data = result.data as Sections;
  const secrets: Partial<Record<SecretKey, pulumi.Output<string>>> = {};
  for (const [k, v] of Object.entries(secretValues)) secrets[k as SecretKey] = pulumi.secret(v);
  return { ...data, stack: source.stack, stackFile, isProd: data.app.environment === "prod", secrets };
}

/** The sections (and region) that are valid each on its own, for the cross-section rules when another is not. */
function validSections(raw: Record<string, unknown>): Partial<Sections> {
  const out: Record<string, unknown> = {};
  for (const [k, schema] of Object.entries({ region, ...SECTIONS })) {
    const r = (schema as z.ZodType).safeParse(raw[k]);
    if (r.success) out[k] = r.data;
  }
  return out as Partial<Sections>;
}

/** Which secrets this stack's settings need (only those are asked for). */
export function requiredSecrets(cfg: Partial<Pick<Sections, "paging">>): SecretKey[] {
  const p = cfg.paging;
  if (!p) return [];
  return [
    ...(p.actionsEnabled && p.pager !== "none" ? (["pagerUrl"] as const) : []),
    ...(p.warning.chatWebhook || p.info.chatWebhook ? (["chatWebhookUrl"] as const) : []),
  ];
}

/** Rules across keys and sections: secrets a setting needs, prod-only rules, DR, Fargate dumps' heartbeat window. */
function crossSectionProblems(
  cfg: Partial<Sections>,
  secretValues: Partial<Record<SecretKey, string>>,
): string[] {
  const problems: string[] = [];
  if (cfg.paging?.actionsEnabled && cfg.paging.pager !== "none" && !secretValues.pagerUrl) {
    problems.push(
      `${NAMESPACE}:pagerUrl: required when ${NAMESPACE}:paging.actionsEnabled is true and pager is ` +
        `${cfg.paging.pager}; set it with \`pulumi config set --secret ${NAMESPACE}:pagerUrl <integration URL>\``,
    );
  }
  const wantsWebhook = cfg.paging?.warning.chatWebhook || cfg.paging?.info.chatWebhook;
  if (wantsWebhook && !secretValues.chatWebhookUrl) {
    problems.push(
      `${NAMESPACE}:chatWebhookUrl: required because a paging channel sets chatWebhook: true; set it with ` +
        `\`pulumi config set --secret ${NAMESPACE}:chatWebhookUrl <url>\``,
    );
  }
  if (cfg.app?.environment === "prod" && cfg.paging && !cfg.paging.actionsEnabled) {
    problems.push(
      `${NAMESPACE}:paging.actionsEnabled: must be true in a prod stack (app.environment is prod)`,
    );
  }
  problems.push(...dumpProblems(cfg));
  problems.push(...hostWindowProblems(cfg));
  problems.push(...rotationProblems(cfg));
  if (cfg.app && cfg.databaseMaintenance)
    problems.push(...maintenanceTaskProblems(cfg as Sections).map((p) => `${NAMESPACE}:${p}`));
  if (cfg.reminders)
    problems.push(
      ...reminderWindowProblems(
        cfg.reminders,
        cfg.monitoring?.maintenanceWindows ?? [],
        `${NAMESPACE}:reminders`,
      ),
    );
  if (cfg.backups?.copyToDr && cfg.encryption && !cfg.encryption.drRegion) {
    problems.push(
      `${NAMESPACE}:backups.copyToDr: needs ${NAMESPACE}:encryption.drRegion (the region copies go to)`,
    );
  }
  problems.push(...replicationProblems(cfg));
  if (cfg.encryption?.drRegion !== undefined && cfg.encryption.drRegion === cfg.region) {
    problems.push(`${NAMESPACE}:encryption.drRegion: must differ from aws:region (${cfg.region})`);
  }
  return problems;
}

/** Per dump database: the RPO against its schedules, a Fargate dump's heartbeat window, prod's locked yearly tier. */
function dumpProblems(cfg: Partial<Sections>): string[] {
  const problems: string[] = [];
  const { app, jobs, backups } = cfg;
  if (!app || !jobs || !backups) return problems;
  for (const [i, d] of backups.databases.entries()) {
    const rpo = d.dump && dumpRpoProblem(d.dump, backups.rpoHours, app.timezone);
    if (rpo) problems.push(`${NAMESPACE}:backups.databases[${i}].dump.rpoHours: ${rpo}`);
    if (d.dump)
      for (const p of drillProblems(d.engine, d.dump, backups.rpoHours, app.timezone))
        problems.push(`${NAMESPACE}:backups.databases[${i}].dump.drill.${p.key}: ${p.message}`);
    if (
      d.dump?.runsOn === "fargate" &&
      fargateHeartbeatTooLong(
        Object.entries(d.dump.tiers).map(([name, t]) => ({
          name,
          expression: t!.expression,
          timezone: d.dump!.timezone ?? app.timezone,
        })),
        jobs,
        d.dump.fargate.timeoutMinutes * 60,
      )
    )
      problems.push(
        `${NAMESPACE}:backups.databases[${i}].dump.tiers: a Fargate dump needs a tier that runs at least about every 6 days (its heartbeat alarm looks back at most 7 days); add a daily or weekly tier, or use runsOn: lambda`,
      );
    const yearly = d.dump?.tiers.yearly;
    if (app.environment === "prod" && yearly && yearly.objectLock !== "COMPLIANCE")
      problems.push(
        `${NAMESPACE}:backups.databases[${i}].dump.tiers.yearly.objectLock: must be COMPLIANCE in a prod stack (the yearly tier is the compliance archive)`,
      );
  }
  return problems;
}

/** Every window a host task or the WAL base backups name exists (and is long enough for SSM). */
function hostWindowProblems(cfg: Partial<Sections>): string[] {
  const h = cfg.hosts;
  const app = cfg.app;
  if (!h || !app) return [];
  const monitoring = cfg.monitoring?.maintenanceWindows ?? [];
  const problem = (name: string) => {
    const r = resolveWindow(name, h.windows, monitoring, app.timezone);
    return typeof r === "string" ? r : null;
  };
  const out: string[] = [];
  for (const [i, host] of h.hosts.entries())
    for (const [j, t] of host.tasks.entries()) {
      const p = problem(t.window);
      if (p) out.push(`${NAMESPACE}:hosts.hosts[${i}].tasks[${j}].window: ${p}`);
    }
  if (h.wal) {
    const p = problem(h.wal.baseBackup.window);
    if (p) out.push(`${NAMESPACE}:hosts.wal.baseBackup.window: ${p}`);
  }
  return out;
}

/** Dump replication needs a DR region and a dump to replicate; a bound without replication would do nothing. */
function replicationProblems(cfg: Partial<Sections>): string[] {
  const r = cfg.backups?.dumpReplication;
  if (!r || !cfg.encryption) return [];
  const key = `${NAMESPACE}:backups.dumpReplication`;
  const dumps = cfg.backups!.databases.some((d) => d.dump);
  const problems: string[] = [];
  if (r.enabled === true && !cfg.encryption.drRegion)
    problems.push(
      `${key}.enabled: needs ${NAMESPACE}:encryption.drRegion (the region the dumps replicate to)`,
    );
  if (r.enabled === true && !dumps)
    problems.push(`${key}.enabled: no database has a dump block; there is nothing to replicate`);
  if (r.enabled === false && r.maxLatencyMinutes !== undefined)
    problems.push(
      `${key}.maxLatencyMinutes: has no effect with enabled: false; remove it or enable replication`,
    );
  return problems;
}

/** Rotation windows inside the stack's maintenance windows, when it has any. */
function rotationProblems(cfg: Partial<Sections>): string[] {
  const windows = cfg.monitoring?.maintenanceWindows ?? [];
  const out: string[] = [];
  const app = cfg.app;
  if (!app) return out;
  const check = (path: string, schedule: Parameters<typeof rotationWindowProblem>[0]) => {
    const problem = rotationWindowProblem(schedule, windows, app.timezone);
    if (problem) out.push(`${NAMESPACE}:rotation.${path}.schedule: ${problem}`);
  };
  for (const [i, d] of (cfg.rotation?.databases ?? []).entries()) check(`databases[${i}]`, d.schedule);
  if (cfg.rotation?.generated) check("generated", cfg.rotation.generated.schedule);
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}
