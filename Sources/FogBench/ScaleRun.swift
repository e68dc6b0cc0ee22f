/// The steps `comsat-scale` ran on one broker.
struct ScaleRun: Sendable {
    /// "comsat" or "bare".
    var name: String
    /// Broker resident memory before any pair connected (ComSat: every grant installed).
    var idleResidentBytes: Int?
    /// Seconds to install the grants through the control channel; nil for bare.
    var grantSeconds: Double?
    var steps: [ScaleStep]

    /// The largest step the broker held.
    var largestHealthy: ScaleStep? {
        steps.filter(\.healthy).max { $0.pairs < $1.pairs }
    }

    func step(pairs: Int) -> ScaleStep? {
        steps.first { $0.pairs == pairs }
    }
}
