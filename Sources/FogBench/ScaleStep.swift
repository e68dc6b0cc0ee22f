/// What one step of `comsat-scale` measured: `pairs` pairs running, a window of traffic.
struct ScaleStep: Sendable {
    var pairs: Int
    /// Connections the workers reported established (2 per pair when all are up).
    var connections: Int
    /// Seconds to connect and subscribe the pairs this step added.
    var setupSeconds: Double
    /// Messages sent in the window's seconds, how many of them arrived within the deadline,
    /// duplicates, latency.
    var traffic: DeliveryLedger.Second
    var windowSeconds: Double
    /// Connections that dropped, publishes the broker refused or libmosquitto could not queue,
    /// and arrivals after the deadline, since the run began.
    var lostConnections: Int
    var rejectedPublishes: Int
    var publishFailures: Int
    var lateArrivals: Int
    /// Broker CPU over the window as a fraction of one core.
    var brokerCPU: Double?
    /// Broker resident memory at the end of the window, bytes.
    var brokerResidentBytes: Int?
    /// CPU of all load-generating processes over the window, in cores.
    var generatorCPU: Double?
    /// Loopback packets the kernel dropped and TCP segments it retransmitted during the
    /// window: the machine's share of any latency outlier.
    var loopback: LoopbackCounters?
    /// Why the step does not count as held; nil when it does.
    var failure: String?

    var healthy: Bool { failure == nil }

    var deliveryRatio: Double {
        traffic.sent > 0 ? Double(traffic.delivered) / Double(traffic.sent) : 0
    }

    /// Resident bytes per pair above the broker's `idle` size (grants loaded, nobody connected).
    func residentBytesPerPair(idle: Int?) -> Double? {
        guard let brokerResidentBytes, let idle, pairs > 0 else { return nil }
        return Double(brokerResidentBytes - idle) / Double(pairs)
    }

    func latencyMilliseconds(_ percentile: Double) -> Double {
        Double(traffic.latency.value(atPercentile: percentile)) / 1e6
    }
}
