// Policy pack for `pulumi preview --policy-pack policy`: wraps the pure checks in checks.ts as mandatory stack policies.
// (Constructing a PolicyPack starts a gRPC server, so tests import checks.ts only.)
import { PolicyPack } from "@pulumi/policy";
import { CHECKS, type PolicyResource } from "./checks";

new PolicyPack("maintenance-stack", {
  policies: CHECKS.map((c) => ({
    name: c.name,
    description: c.description,
    enforcementLevel: "mandatory" as const,
    validateStack: (args, reportViolation) => {
      const resources: PolicyResource[] = args.resources.map((r) => ({
        type: r.type,
        name: r.name,
        inputs: r.props as Record<string, unknown>,
      }));
      const isProd = resources.some(
        (r) => (r.inputs.tags as Record<string, string> | undefined)?.environment === "prod",
      );
      for (const v of c.check(resources, { isProd })) reportViolation(v);
    },
  })),
});
