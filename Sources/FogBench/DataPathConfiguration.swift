/// Scenario (a) of the ComSat benchmark: QoS 1 pairs through bare Mosquitto and through
/// Mosquitto with the ComSat plugin, measured in the same run.
public struct DataPathConfiguration: Sendable {
    /// Publisher/subscriber pairs, each on its own topic (two connections per pair).
    public var pairs: Int
    /// How many times both brokers are measured; the report pools all rounds.
    public var rounds: Int
    /// Bytes per message, including the 20-byte sequence header.
    public var payloadSize: Int
    /// Closed-loop phase: messages each pair keeps in flight end to end.
    public var window: Int
    /// Traffic before each measured window, to fill queues and warm caches.
    public var warmup: Duration
    /// Length of the measured closed-loop window.
    public var duration: Duration
    /// When set, the closed-loop phase sends exactly this many messages per pair and is
    /// measured from its first send to its last arrival, instead of `warmup` + `duration`.
    public var messagesPerPair: Int?
    /// Open-loop phase rate in messages per second over all pairs; nil derives it as
    /// `latencyLoad` times the bare broker's closed-loop throughput.
    public var latencyRate: Double?
    /// Fraction of the bare broker's throughput the open-loop phase offers when
    /// `latencyRate` is nil.
    public var latencyLoad: Double
    /// Length of the measured open-loop window.
    public var latencyDuration: Duration
    /// `libcomsat.so`; nil measures bare Mosquitto only.
    public var comsatPlugin: String?
    /// Bound on connecting and subscribing all pairs.
    public var setupTimeout: Duration
    /// How long a phase waits for messages in flight before counting them lost.
    public var drainTimeout: Duration
    /// The scenario fails with `BenchError.timeLimit` at the first step that starts after
    /// this long (every step is bounded by the durations and timeouts above).
    public var timeLimit: Duration

    public init(
        pairs: Int = 1_000,
        rounds: Int = 3,
        payloadSize: Int = 64,
        window: Int = 1,
        warmup: Duration = .seconds(2),
        duration: Duration = .seconds(6),
        messagesPerPair: Int? = nil,
        latencyRate: Double? = nil,
        latencyLoad: Double = 0.5,
        latencyDuration: Duration = .seconds(4),
        comsatPlugin: String? = nil,
        setupTimeout: Duration = .seconds(60),
        drainTimeout: Duration = .seconds(10),
        timeLimit: Duration = .seconds(600)
    ) {
        self.pairs = pairs
        self.rounds = rounds
        self.payloadSize = payloadSize
        self.window = window
        self.warmup = warmup
        self.duration = duration
        self.messagesPerPair = messagesPerPair
        self.latencyRate = latencyRate
        self.latencyLoad = latencyLoad
        self.latencyDuration = latencyDuration
        self.comsatPlugin = comsatPlugin
        self.setupTimeout = setupTimeout
        self.drainTimeout = drainTimeout
        self.timeLimit = timeLimit
    }
}
