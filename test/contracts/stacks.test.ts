// The contracts of every committed stack in stacks/ (see define-contracts.ts).
import { listStacks } from "../../scripts/lib/stack-files";
import { defineContracts } from "./define-contracts";

defineContracts(listStacks().map((stack) => ({ stack })));
