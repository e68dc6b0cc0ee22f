/// Settings of the `link-e2e` scenario (issue 5): one FogFabric link end to end against a
/// Mosquitto bridge carrying the same readings, and bytes on the wire per reading.
public struct LinkEndToEndConfiguration: Sendable {
    /// Bytes per reading, including the 20-byte sequence header.
    public var readingSize: Int
    /// Throughput phase: readings kept in flight end to end (published, not yet received).
    public var window: Int
    /// Traffic before each measured window.
    public var warmup: Duration
    /// Length of the measured throughput window.
    public var duration: Duration
    /// Latency phase: offered readings per second; nil derives it as `latencyLoad` times the
    /// link's throughput (the link is measured first), and the bridge gets the same rate.
    public var latencyRate: Double?
    public var latencyLoad: Double
    /// Length of the measured latency window.
    public var latencyDuration: Duration
    /// Bytes on the wire, single: readings sent one at a time, each after the previous arrived.
    public var singleReadings: Int
    /// Bytes on the wire, batched: readings published in one burst.
    public var burstReadings: Int
    /// Bytes on the wire, backlog: how long site A's hop is down while a burst is published.
    public var backlogOutage: Duration
    /// `libcomsat.so`.
    public var comsatPlugin: String
    /// The `fog-link` executable.
    public var fogLink: String
    /// Bound on connecting, subscribing and bringing the link up.
    public var setupTimeout: Duration
    /// How long a phase waits for readings in flight before counting them lost.
    public var drainTimeout: Duration
    /// Traffic counters must stay unchanged this long before a byte count is read, so
    /// delayed acknowledgements are included.
    public var quietPeriod: Duration
    /// The whole scenario is cancelled and fails with `BenchError.timeLimit` after this long.
    public var timeLimit: Duration

    public init(
        readingSize: Int = 32,
        window: Int = 500,
        warmup: Duration = .seconds(2),
        duration: Duration = .seconds(8),
        latencyRate: Double? = nil,
        latencyLoad: Double = 0.5,
        latencyDuration: Duration = .seconds(6),
        singleReadings: Int = 200,
        burstReadings: Int = 2_000,
        backlogOutage: Duration = .seconds(4),
        comsatPlugin: String,
        fogLink: String,
        setupTimeout: Duration = .seconds(60),
        drainTimeout: Duration = .seconds(20),
        quietPeriod: Duration = .milliseconds(600),
        timeLimit: Duration = .seconds(600)
    ) {
        self.readingSize = readingSize
        self.window = window
        self.warmup = warmup
        self.duration = duration
        self.latencyRate = latencyRate
        self.latencyLoad = latencyLoad
        self.latencyDuration = latencyDuration
        self.singleReadings = singleReadings
        self.burstReadings = burstReadings
        self.backlogOutage = backlogOutage
        self.comsatPlugin = comsatPlugin
        self.fogLink = fogLink
        self.setupTimeout = setupTimeout
        self.drainTimeout = drainTimeout
        self.quietPeriod = quietPeriod
        self.timeLimit = timeLimit
    }
}
