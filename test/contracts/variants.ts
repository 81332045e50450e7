// Stack variants the committed stacks do not cover but the contracts must: every stack with an RDS database, with
// its snapshots copied to a DR region (no committed stack copies today, so the DR path would otherwise go unproven).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { listStacks, STACKS_DIR } from "../../scripts/lib/stack-files";

/** The DR region a variant uses when its stack names none. */
const VARIANT_DR_REGION = "eu-west-1";

export interface StackVariant {
  readonly stack: string;
  readonly dir: string;
}

/** `<stack>-dr` for each stack with an RDS database that does not copy to DR yet, written to a temporary folder. */
export function drVariants(): StackVariant[] {
  const dir = mkdtempSync(join(tmpdir(), "contract-variants-"));
  const out: StackVariant[] = [];
  for (const stack of listStacks()) {
    const doc = parse(readFileSync(join(STACKS_DIR, `Pulumi.${stack}.yaml`), "utf8")) as {
      config: Record<string, any>;
    };
    const backups = doc.config["maintenance:backups"];
    const rds = backups?.databases?.some(
      (d: { kind: string }) => d.kind === "rds-instance" || d.kind === "aurora-cluster",
    );
    if (!rds || backups.copyToDr) continue;
    backups.copyToDr = true;
    doc.config["maintenance:encryption"] = {
      drRegion: VARIANT_DR_REGION,
      ...doc.config["maintenance:encryption"],
    };
    writeFileSync(join(dir, `Pulumi.${stack}-dr.yaml`), stringify(doc));
    out.push({ stack: `${stack}-dr`, dir });
  }
  return out;
}
