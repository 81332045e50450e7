// The stack's schedules by a stable reference (a maintenance window's name, a schedule's name as the plan records it),
// filled as capabilities declare them, so a reminder can announce any of them by name.
export interface CatalogEntry {
  /** `window:<name>` for a maintenance window (its start), otherwise the Scheduler schedule's physical name. */
  readonly ref: string;
  readonly expression: string;
  readonly timezone: string;
  readonly description?: string;
}

/** A list the capabilities add to in CAPABILITIES order; reminders, declared last, read it. */
export class ScheduleCatalog {
  private readonly entries = new Map<string, CatalogEntry>();

  add(entry: CatalogEntry): void {
    const seen = this.entries.get(entry.ref);
    if (seen && (seen.expression !== entry.expression || seen.timezone !== entry.timezone))
      throw new Error(
        `schedule ${entry.ref} is declared twice, as ${seen.expression} and ${entry.expression}`,
      );
    this.entries.set(entry.ref, entry);
  }

  get(ref: string): CatalogEntry | undefined {
    return this.entries.get(ref);
  }

  refs(): string[] {
    return [...this.entries.keys()].sort();
  }
}

/** The reference of a maintenance window in the catalog. */
export const windowRef = (name: string) => `window:${name}`;

/** The cron at which a maintenance window opens (`SUN`, `SUN#1`, `SUNL` ... at HH:MM). */
export function windowStartCron(w: { day: string; start: string }): string {
  return `cron(${Number(w.start.slice(3))} ${Number(w.start.slice(0, 2))} ? * ${w.day} *)`;
}
