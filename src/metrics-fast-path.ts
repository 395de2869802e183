import { MetricTypes } from "moleculer";

/**
 * Moleculer's gauge `set` (behind every counter and gauge `increment`/`decrement`) and histogram
 * `observe` create a missing item inline. On a node answering remote requests V8 keeps aborting
 * their optimisation ("Maps became deprecated during optimization"), so every request pays for
 * interpreted metrics code and for the aborted compiles (docs/architecture.md, Pitfalls). These
 * replacements handle the common case, an item that exists, in a small monomorphic function and
 * leave creation to Moleculer's own code, so behaviour is Moleculer's exactly.
 */

type Labels = Record<string, unknown> | undefined;
interface GaugeItem {
  value: number;
  timestamp: number;
  rate?: { update(value: number): void };
}
interface HistogramItem {
  timestamp: number;
  sum: number;
  count: number;
  lastValue: number;
  bucketValues?: Record<number, number>;
  quantileValues?: { add(value: number): void };
  rate?: { update(value: number): void };
}
interface MetricInternals<Item> {
  values: Map<string, Item>;
  buckets?: number[];
  hashingLabels(labels: Labels): string;
  changed(value: number, labels: Labels, timestamp?: number): void;
}
type GaugeSet = (this: MetricInternals<GaugeItem>, value: number, labels: Labels, timestamp?: number) => GaugeItem;
type HistogramObserve = (this: MetricInternals<HistogramItem>, value: number, labels: Labels, timestamp?: number) => HistogramItem;

const INSTALLED = Symbol.for("habit-tracker.metrics-fast-path");

export function installMetricsFastPath(): void {
  const gauge = MetricTypes.Gauge.prototype as unknown as Record<string | symbol, unknown>;
  if (gauge[INSTALLED]) return;
  gauge[INSTALLED] = true;

  const createGaugeItem = gauge.set as GaugeSet;
  gauge.set = function setExisting(this: MetricInternals<GaugeItem>, value: number, labels: Labels, timestamp?: number) {
    const item = this.values.get(this.hashingLabels(labels));
    if (item === undefined) return createGaugeItem.call(this, value, labels, timestamp);
    if (item.value != value) {
      item.value = value;
      item.timestamp = timestamp == null ? Date.now() : timestamp;
      if (item.rate) item.rate.update(value);
      this.changed(value, labels, timestamp);
    }
    return item;
  } satisfies GaugeSet;

  const histogram = MetricTypes.Histogram.prototype as unknown as Record<string, unknown>;
  const createHistogramItem = histogram.observe as HistogramObserve;
  histogram.observe = function observeExisting(this: MetricInternals<HistogramItem>, value: number, labels: Labels, timestamp?: number) {
    const item = this.values.get(this.hashingLabels(labels));
    if (item === undefined) return createHistogramItem.call(this, value, labels, timestamp);
    item.timestamp = timestamp == null ? Date.now() : timestamp;
    item.sum += value;
    item.count++;
    item.lastValue = value;
    const buckets = this.buckets;
    if (item.bucketValues && buckets) {
      for (const bound of buckets) if (value <= bound) item.bucketValues[bound] += 1;
    }
    if (item.quantileValues) item.quantileValues.add(value);
    if (item.rate) item.rate.update(item.count);
    this.changed(value, labels, timestamp);
    return item;
  } satisfies HistogramObserve;
}
