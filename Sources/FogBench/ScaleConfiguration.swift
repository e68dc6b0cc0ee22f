/// Issue 7, scenario 2: how many authenticated pairs, each exchanging one QoS 1 message per
/// second, one ComSat holds on this machine, stepped up until a step fails, with bare
/// Mosquitto at the same size as the baseline.
public struct ScaleConfiguration: Sendable {
    /// The goal of issue 7: 10,000 pairs (20,000 connections).
    public static let goalPairs = 10_000

    /// Pair counts to hold in turn; each step adds pairs to the ones already running.
    public var steps: [Int]
    /// Length of each step's measured window.
    public var window: Duration
    /// Pause between a step's connections being up and its window.
    public var settle: Duration
    /// A message arriving later than this after the second it was sent in counts as lost.
    public var deadline: Duration
    /// A step whose p99 latency exceeds this fails.
    public var latencyBound: Duration
    /// A step delivering less than this fraction of what it sent fails.
    public var minimumDeliveryRatio: Double
    /// Pairs per load-generating process (3 descriptors per connection, 2 connections per pair).
    public var pairsPerWorker: Int
    /// Bytes per message, including the 20-byte sequence header.
    public var payloadSize: Int
    /// `libcomsat.so`.
    public var comsatPlugin: String
    /// `fog-bench` itself, re-executed as `fog-bench swarm-worker` for the load.
    public var workerExecutable: String
    /// Measure bare Mosquitto at every step ComSat held instead of only at the largest.
    public var baselineEveryStep: Bool
    /// Bound on one worker connecting and subscribing its pairs.
    public var setupTimeout: Duration
    /// The whole scenario's hard limit.
    public var timeLimit: Duration

    public init(
        steps: [Int] = [2_500, 5_000, 7_500, 10_000],
        window: Duration = .seconds(20),
        settle: Duration = .seconds(2),
        deadline: Duration = .seconds(5),
        latencyBound: Duration = .milliseconds(500),
        minimumDeliveryRatio: Double = 0.999,
        pairsPerWorker: Int = 2_500,
        payloadSize: Int = 64,
        comsatPlugin: String,
        workerExecutable: String,
        baselineEveryStep: Bool = false,
        setupTimeout: Duration = .seconds(120),
        timeLimit: Duration = .seconds(360)
    ) {
        self.steps = steps
        self.window = window
        self.settle = settle
        self.deadline = deadline
        self.latencyBound = latencyBound
        self.minimumDeliveryRatio = minimumDeliveryRatio
        self.pairsPerWorker = pairsPerWorker
        self.payloadSize = payloadSize
        self.comsatPlugin = comsatPlugin
        self.workerExecutable = workerExecutable
        self.baselineEveryStep = baselineEveryStep
        self.setupTimeout = setupTimeout
        self.timeLimit = timeLimit
    }
}
