/**
 * Moleculer's Prometheus reporter without an HTTP server of its own: the node's operations
 * server (src/ops-server.ts) serves its text on METRICS_PORT next to the health probes, so
 * every role has metrics, liveness and readiness on one port.
 */
import { MetricReporters, type MetricRegistry, type ServiceBroker } from "moleculer";

export class PrometheusText extends MetricReporters.Prometheus {
  override init(registry: MetricRegistry): void {
    // The base reporter's init (registry, broker, logger); the Prometheus one would also listen.
    MetricReporters.Base.prototype.init.call(this, registry);
    const labels = this.opts.defaultLabels as unknown;
    (this as unknown as { defaultLabels: unknown }).defaultLabels =
      typeof labels === "function" ? (labels as (registry: MetricRegistry) => unknown).call(this, registry) : labels;
  }

  override async stop(): Promise<void> {}
}

/** The node's metrics in Prometheus's text format, or null when metrics are off. */
export function metricsText(broker: ServiceBroker): string | null {
  const reporters = (broker as unknown as { metrics: { reporter?: unknown[] } }).metrics.reporter ?? [];
  const reporter = reporters.find((candidate): candidate is PrometheusText => candidate instanceof PrometheusText);
  return reporter ? reporter.generatePrometheusResponse() : null;
}
