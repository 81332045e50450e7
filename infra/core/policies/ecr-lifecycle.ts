// ECR lifecycle for the dump image: untagged images expire after 7 days (as the runbooks' `docker image prune
// --filter until=168h`), and only the newest N tagged images are kept.
export function ecrLifecyclePolicy(keepTagged: number): { rules: object[] } {
  if (!Number.isInteger(keepTagged) || keepTagged < 1)
    throw new Error(`keepTagged ${keepTagged} must be a whole number >= 1`);
  return {
    rules: [
      {
        rulePriority: 1,
        description: "Untagged images expire after 7 days",
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: 7,
        },
        action: { type: "expire" },
      },
      {
        rulePriority: 2,
        description: `Keep the newest ${keepTagged} tagged images`,
        selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: keepTagged },
        action: { type: "expire" },
      },
    ],
  };
}
