/// What `link-e2e` measured on one path (the FogFabric link, or the Mosquitto bridge).
struct LinkEndToEndRun: Sendable {
    /// "link" or "bridge".
    var name: String
    /// Closed loop: `window` readings in flight end to end.
    var throughput: TrafficPhaseResult
    /// Open loop at `latencyRate`.
    var latency: TrafficPhaseResult
    var latencyRate: Double
    /// CPU microseconds of each process on the path (brokers, link halves) per reading
    /// delivered during the throughput phase (warm-up included); empty if a process could
    /// not be read.
    var cpuByProcess: [ProcessCPU]
    var single: WireBytes
    var batched: WireBytes
    /// Batched readings that crossed as a backlog, after site A's hop was down.
    var backlog: WireBytes
    var totals: PairTraffic.Totals

    struct ProcessCPU: Sendable {
        /// Its role on the path, e.g. "comsat", "fog-link a".
        var name: String
        var microsecondsPerReading: Double
    }

    /// All processes on the path together; nil if their CPU time could not be read.
    var pathCPUMicrosecondsPerReading: Double? {
        cpuByProcess.isEmpty ? nil : cpuByProcess.reduce(0) { $0 + $1.microsecondsPerReading }
    }
}
