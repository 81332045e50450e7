import * as pulumi from "@pulumi/pulumi";
if (process.env.NOCALL) (pulumi.Resource as unknown as { callsites: () => unknown[] }).callsites = () => [];
if (process.env.NOSM) process.setSourceMapsEnabled(false);
const { recordStack } = require("/work/wt18/scripts/lib/record-stack");
const { listStacks } = require("/work/wt18/scripts/lib/stack-files");
(async () => { const t=Date.now(); for (const s of listStacks()) await recordStack(s); const c=process.cpuUsage(); console.log("ms", Date.now()-t, "cpu", Math.round((c.user+c.system)/1000)); })();
