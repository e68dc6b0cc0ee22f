internal import Metrics
public import Prometheus

/// Process-wide metrics setup for `fog-controller run`.
public enum MetricsBootstrap {
    /// Points swift-metrics at a new Prometheus registry and returns it for `GET /metrics`.
    ///
    /// - Important: Call once per process (swift-metrics allows one bootstrap); tests hand
    ///   the API their own registry instead of calling this.
    public static func prometheus() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }
}
