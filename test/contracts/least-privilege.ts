// Least privilege, the other way round: every action a role's own statements allow is used by some request the
// job's code (or Lambda for it) really makes on a resource that statement names.
import type { Doc, IamRequest } from "./permissions";

/**
 * Grants the contract runs cannot exercise, each with the path that needs it. Keep this short: every entry is a
 * permission no test proves is used.
 */
export const UNEXERCISED_GRANTS: readonly {
  readonly sid: string;
  readonly action: string;
  readonly why: string;
}[] = [
  {
    sid: "StageOwnDumps",
    action: "s3:AbortMultipartUpload",
    why: "a dump larger than one upload part that fails mid-stream (test/lambdas/logical-backup/dump.test.ts, on s3rver)",
  },
  {
    sid: "LandOwnDumps",
    action: "s3:AbortMultipartUpload",
    why: "a multipart copy of a dump over 5 GB that fails (copyToFinal, tested in dump.test.ts)",
  },
];

const glob = (pattern: string) =>
  new RegExp(
    `^${pattern
      .split("*")
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*")}$`,
    "i",
  );

/** `statement Sid grants action on resources` for each allowed action that no request exercises. */
export function unusedGrants(
  policies: { name: string; policy: Doc }[],
  requests: readonly IamRequest[],
): string[] {
  const out: string[] = [];
  for (const p of policies) {
    for (const s of p.policy.Statement) {
      if (s.Effect !== "Allow") continue;
      const resources =
        s.Resource === undefined ? ["*"] : Array.isArray(s.Resource) ? s.Resource : [s.Resource];
      for (const action of Array.isArray(s.Action) ? s.Action : [s.Action]) {
        if (UNEXERCISED_GRANTS.some((g) => g.sid === s.Sid && g.action === action)) continue;
        const used = requests.some(
          (r) => glob(action).test(r.action) && resources.some((res) => glob(res).test(r.resource)),
        );
        if (!used)
          out.push(
            `${p.name} statement ${s.Sid ?? "?"} grants ${action} on ${resources.join(", ")}, which no recorded call uses`,
          );
      }
    }
  }
  return out;
}
