import type { Metrics } from "@aws-lambda-powertools/metrics";
import { MetricUnit } from "@aws-lambda-powertools/metrics";

export type Dimensions = Readonly<Record<string, string>>;

/** Counts in memory during an invocation; one EMF line per metric and dimension set at the end. */
export class MetricsRecorder {
  private readonly counts = new Map<string, { name: string; dimensions: Dimensions; value: number }>();

  count(name: string, dimensions: Dimensions = {}, value = 1): void {
    const key = `${name}|${JSON.stringify(Object.entries(dimensions).sort())}`;
    const entry = this.counts.get(key);
    if (entry) entry.value += value;
    else this.counts.set(key, { name, dimensions, value });
  }

  flush(metrics: Metrics): void {
    for (const { name, dimensions, value } of this.counts.values()) {
      // A single metric publishes itself on addMetric: one EMF line with its own dimensions.
      const single = metrics.singleMetric();
      single.addDimensions({ ...dimensions });
      single.addMetric(name, MetricUnit.Count, value);
    }
    this.counts.clear();
  }
}
