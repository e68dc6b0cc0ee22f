import FogMQTT
import FogTestSupport

/// Scenario (a): the same QoS 1 pair traffic through bare Mosquitto and through Mosquitto
/// with the ComSat plugin (every pair holding real grants), one after the other in one
/// run, so the ratio compares like with like on the same machine state.
///
/// With several rounds, each round measures both brokers (alternating which goes first)
/// and the report pools the rounds. Each broker gets two phases on the same connections: a closed loop that finds the most
/// it delivers (throughput, and latency at saturation), then an open loop at a fixed rate
/// both brokers sustain (latency without queueing). The open-loop rate is derived from the
/// bare broker's throughput and reused for the plugin.
public struct DataPathScenario: Sendable {
    public var configuration: DataPathConfiguration

    public init(configuration: DataPathConfiguration = .init()) {
        self.configuration = configuration
    }

    /// Runs the scenario; `progress` receives one line per step.
    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> DataPathReport {
        let configuration = configuration
        guard configuration.pairs > 0, configuration.rounds > 0 else {
            throw BenchError(.invalidArgument, "pairs and rounds must be positive, got \(configuration.pairs) and \(configuration.rounds)")
        }
        // Before any broker starts: brokers inherit the limit, and 2 connections per pair
        // overrun the usual 1,024.
        let descriptors = try MQTTSwarm.raiseDescriptorLimit()
        let needed = configuration.pairs * 2 * MQTTSwarm.descriptorsPerConnection
        guard needed < descriptors else {
            throw BenchError(
                .invalidArgument,
                "\(configuration.pairs) pairs need about \(needed) file descriptors; the limit is \(descriptors)"
            )
        }
        let loadBefore = MachineLoad.oneMinute()
        let deadline = TimeLimit.Deadline(configuration.timeLimit, "comsat-datapath")
        var bare: [DataPathRun] = []
        var comsat: [DataPathRun] = []
        var openLoopRate = configuration.latencyRate
        for round in 1...configuration.rounds {
            // Alternating the order cancels a steady drift in what else the machine does;
            // the first round starts with bare, whose throughput sets the open-loop rate.
            let comsatFirst = round % 2 == 0
            for variant in comsatFirst ? ["comsat", "bare"] : ["bare", "comsat"] {
                if variant == "bare" {
                    progress("round \(round)/\(configuration.rounds): bare")
                    let run = try await measure(
                        .bare(pairs: configuration.pairs), openLoopRate: openLoopRate, deadline: deadline, progress: progress)
                    openLoopRate = openLoopRate ?? run.openLoopRate
                    bare.append(run)
                } else if let plugin = configuration.comsatPlugin, let rate = openLoopRate {
                    progress("round \(round)/\(configuration.rounds): comsat")
                    let controller = try ComSatController.create()
                    defer { controller.remove() }
                    comsat.append(try await measure(
                        .comsat(pairs: configuration.pairs, plugin: plugin, controller: controller),
                        openLoopRate: rate, deadline: deadline, progress: progress))
                }
            }
        }
        return DataPathReport(
            configuration: configuration, bareRounds: bare, comsatRounds: comsat,
            load: (loadBefore, MachineLoad.oneMinute()))
    }

    private func measure(
        _ target: DataPathTarget,
        openLoopRate: Double?,
        deadline: TimeLimit.Deadline,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> DataPathRun {
        let configuration = configuration
        try deadline.check("starting a \(target.name) broker")
        return try await withMosquitto(target.broker) { broker in
            let grantSeconds = try await target.prepare(broker)
            let pairs = target.pairs(broker.port)
            let pid = broker.pid
            let name = target.name
            progress("[\(name)] broker on \(broker.host):\(broker.port) (pid \(pid.map(String.init) ?? "?")); connecting \(pairs.count) pairs")
            return try await DedicatedThread.run {
                let setupStart = MonotonicClock.nanoseconds()
                let traffic = try PairTraffic(pairs: pairs, payloadSize: configuration.payloadSize)
                try traffic.establish(timeout: configuration.setupTimeout)
                let setupSeconds = Double(MonotonicClock.nanoseconds() - setupStart) / 1e9
                try deadline.check("connecting \(name) pairs")
                progress("[\(name)] \(pairs.count * 2) connections up in \(format(setupSeconds, 2)) s; closed loop, window \(configuration.window)")
                let closed = try traffic.runPhase(
                    .closedLoop(window: configuration.window),
                    warmup: configuration.warmup,
                    duration: configuration.duration,
                    messagesPerPair: configuration.messagesPerPair,
                    drainTimeout: configuration.drainTimeout,
                    brokerPID: pid
                )
                try deadline.check("measuring \(name)'s closed loop")
                let rate = openLoopRate ?? max(1, closed.messagesPerSecond * configuration.latencyLoad)
                progress("[\(name)] closed loop: \(format(closed.messagesPerSecond, 0)) msg/s; open loop at \(format(rate, 0)) msg/s")
                let open = try traffic.runPhase(
                    .openLoop(messagesPerSecond: rate),
                    warmup: configuration.warmup,
                    duration: configuration.latencyDuration,
                    drainTimeout: configuration.drainTimeout,
                    brokerPID: pid
                )
                let totals = traffic.currentTotals()
                progress("[\(name)] open loop: p50 \(format(Double(open.latency.value(atPercentile: 50)) / 1e3, 0)) µs, p99 \(format(Double(open.latency.value(atPercentile: 99)) / 1e3, 0)) µs; lost \(totals.lost), duplicates \(totals.duplicates)")
                try traffic.disconnect(timeout: configuration.setupTimeout)
                return DataPathRun(
                    name: name,
                    closedLoop: closed,
                    openLoop: open,
                    openLoopRate: rate,
                    totals: totals,
                    setupSeconds: setupSeconds,
                    grantSeconds: grantSeconds
                )
            }
        }
    }
}
