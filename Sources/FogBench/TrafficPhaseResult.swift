import FogMQTT

/// What one traffic phase measured inside its window (after warm-up).
struct TrafficPhaseResult: Sendable {
    var mode: TrafficMode
    /// Distinct messages subscribers received inside the window.
    var delivered: Int
    var windowSeconds: Double
    /// Latency from publish call to arrival at the subscriber, for messages received inside
    /// the window.
    var latency: LatencyHistogram
    /// Broker CPU seconds spent inside the window; nil if its process could not be read.
    var brokerCPUSeconds: Double?
    /// CPU seconds of the load generator's thread inside the window.
    var generatorCPUSeconds: Double
    /// Open loop: the most messages the generator was ever behind its schedule.
    var maximumBacklog: Int

    var messagesPerSecond: Double {
        windowSeconds > 0 ? Double(delivered) / windowSeconds : 0
    }

    /// Broker CPU microseconds per delivered message.
    var brokerMicrosecondsPerMessage: Double? {
        guard let brokerCPUSeconds, delivered > 0 else { return nil }
        return brokerCPUSeconds * 1e6 / Double(delivered)
    }
}

extension TrafficPhaseResult {
    /// Several windows of the same mode as one: counts, times and latencies add up.
    static func pooled(_ results: [TrafficPhaseResult]) -> TrafficPhaseResult? {
        guard var pooled = results.first else { return nil }
        for result in results.dropFirst() {
            pooled.delivered += result.delivered
            pooled.windowSeconds += result.windowSeconds
            pooled.latency.merge(result.latency)
            pooled.brokerCPUSeconds = pooled.brokerCPUSeconds.flatMap { total in result.brokerCPUSeconds.map { total + $0 } }
            pooled.generatorCPUSeconds += result.generatorCPUSeconds
            pooled.maximumBacklog = max(pooled.maximumBacklog, result.maximumBacklog)
        }
        return pooled
    }
}
