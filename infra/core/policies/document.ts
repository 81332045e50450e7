// IAM/resource policy document types and the one rule every statement obeys: no wildcard action.
export type Principal = { AWS: string | string[] } | { Service: string | string[] } | "*";

export interface Statement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: Principal;
  readonly Action: string | string[];
  /** Absent only in trust policies, where IAM forbids it. */
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: Statement[];
}

/** Throws on `*` or `service:*` in an Allow: every permission here is named. */
export function assertNoWildcardActions(doc: PolicyDocument, where: string): PolicyDocument {
  for (const s of doc.Statement) {
    if (s.Effect !== "Allow") continue;
    for (const action of Array.isArray(s.Action) ? s.Action : [s.Action]) {
      if (action === "*" || /^[a-z0-9-]+:\*$/i.test(action)) {
        throw new Error(`${where}: statement ${s.Sid} allows "${action}"; name the actions the job needs`);
      }
    }
  }
  return doc;
}

export const policy = (statements: Statement[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: statements,
});
