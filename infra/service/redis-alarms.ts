// Redis (ElastiCache) alarms: memory use and evictions per minute.
import type { MonitoringConfig } from "../config/monitoring";
import { type Member, rule } from "./alarm-member";

export function redisAlarms(m: MonitoringConfig): Member[] {
  const out: Member[] = [];
  const t = m.thresholds;
  if (m.redis) {
    const dims = { CacheClusterId: m.redis.cacheClusterId };
    for (const r of t.redisMemoryPercent) {
      out.push({
        id: `redis-memory-${r.severity}`,
        systemDown: false,
        spec: {
          ...rule(r),
          page: "service-redis-memory",
          summary: `Redis ${m.redis.cacheClusterId} memory is over ${r.threshold}% used.`,
          metric: {
            namespace: "AWS/ElastiCache",
            metricName: "DatabaseMemoryUsagePercentage",
            dimensions: dims,
            stat: "Maximum",
          },
          threshold: r.threshold,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
        },
      });
    }
    for (const r of t.redisEvictionsPerMinute) {
      out.push({
        id: `redis-evictions-${r.severity}`,
        systemDown: false,
        spec: {
          ...rule(r),
          page: "service-redis-evictions",
          summary: `Redis ${m.redis.cacheClusterId} evicts over ${r.threshold} keys per minute.`,
          metric: {
            expression: "60 * ev / PERIOD(ev)",
            label: "evictions per minute",
            metrics: {
              ev: { namespace: "AWS/ElastiCache", metricName: "Evictions", dimensions: dims, stat: "Sum" },
            },
          },
          threshold: r.threshold,
          comparisonOperator: "GreaterThanThreshold",
          treatMissingData: "notBreaching",
        },
      });
    }
  }
  return out;
}
