import FogMQTT
import FogTestSupport
import Glibc

/// Issue 7, scenario 2: pairs are added step by step to one ComSat (every half with its own
/// grant, installed through the signed control channel), each pair sending one QoS 1 message
/// per second on its own topic, until a step fails; then bare Mosquitto (anonymous, no plugin)
/// carries the largest held step, so memory, CPU and latency compare at the same size.
///
/// The load comes from `fog-bench swarm-worker` processes (`SwarmWorker`), added as the steps
/// grow: one process holds about 6,600 connections at the descriptor limit of 20,000. Each
/// reports delivery by the second a message was sent in, so a window counts exactly what was
/// sent inside it and whether it arrived within the deadline.
public struct ScaleScenario: Sendable {
    public var configuration: ScaleConfiguration

    public init(configuration: ScaleConfiguration) {
        self.configuration = configuration
    }

    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> ScaleReport {
        let scenario = self
        return try await TimeLimit.run(configuration.timeLimit, "comsat-scale") {
            try await scenario.measure(progress: progress)
        }
    }

    private func measure(progress: @escaping @Sendable (String) -> Void) async throws -> ScaleReport {
        let configuration = configuration
        guard !configuration.steps.isEmpty, configuration.steps.allSatisfy({ $0 > 0 }), configuration.pairsPerWorker > 0 else {
            throw BenchError(.invalidArgument, "steps and pairs per worker must be positive, got \(configuration.steps) and \(configuration.pairsPerWorker)")
        }
        // Brokers inherit the limit: every connection costs the broker one descriptor.
        let descriptors = try MQTTSwarm.raiseDescriptorLimit()
        let ceiling = (descriptors - Self.brokerReservedDescriptors) / 2
        let steps = Array(Set(configuration.steps.map { min($0, ceiling) })).sorted()
        if steps.last != configuration.steps.max() {
            progress("steps above \(ceiling) pairs capped: the broker's descriptor limit is \(descriptors) (the hard limit; raising it needs CAP_SYS_RESOURCE)")
        }
        guard let largest = steps.last else {
            throw BenchError(.invalidArgument, "no step fits the descriptor limit of \(descriptors)")
        }
        let loadBefore = MachineLoad.oneMinute()

        let controller = try ComSatController.create()
        defer { controller.remove() }
        progress("[comsat] \(largest) links' credentials; steps \(steps.map(String.init).joined(separator: ", ")) pairs")
        let comsat = try await runSteps(
            .comsat(pairs: largest, plugin: configuration.comsatPlugin, controller: controller), steps: steps, progress: progress)

        // Bare carries what ComSat held (or, if ComSat held nothing, the first step).
        var baselineSteps = [comsat.largestHealthy?.pairs ?? steps[0]]
        if configuration.baselineEveryStep, comsat.largestHealthy != nil {
            baselineSteps = comsat.steps.filter(\.healthy).map(\.pairs)
        }
        let bare = try await runSteps(.bare(pairs: baselineSteps.max() ?? steps[0]), steps: baselineSteps, progress: progress)
        return ScaleReport(
            configuration: configuration, steps: steps, descriptorLimit: descriptors, pairCeiling: ceiling,
            comsat: comsat, bare: bare, load: (loadBefore, MachineLoad.oneMinute()))
    }

    /// Descriptors the broker keeps besides its client sockets (listener, epoll, log, stdio,
    /// the plugin's journal and key), with room to spare.
    static let brokerReservedDescriptors = 40

    private func runSteps(
        _ target: DataPathTarget, steps: [Int], progress: @escaping @Sendable (String) -> Void
    ) async throws -> ScaleRun {
        var broker = target.broker
        // The deployed ComSat logs no connection lines (docs: broker-config/comsat.conf); bare
        // gets the same, so neither pays for 20,000 log lines.
        broker.connectionMessages = false
        let name = target.name
        return try await withMosquitto(broker) { broker in
            let grantSeconds = try await target.prepare(broker)
            guard let pid = broker.pid else {
                throw BenchError(.systemCall, "the \(name) broker has no process id")
            }
            let idle = ProcessMemory.residentBytes(pid)
            let pairs = target.pairs(broker.port)
            progress("[\(name)] broker on \(broker.host):\(broker.port) (pid \(pid))"
                + (grantSeconds.map { "; \(pairs.count * 2) grants installed in \(format($0, 2)) s" } ?? ""))
            let directory = try TemporaryDirectory(prefix: "fog-bench-scale")
            defer { directory.remove() }
            var workers: [SwarmWorkerProcess] = []
            do {
                let result = try await runSteps(
                    name: name, pairs: pairs, steps: steps, brokerPID: pid, directory: directory.path,
                    workers: &workers, progress: progress)
                await Self.stop(workers)
                return ScaleRun(name: name, idleResidentBytes: idle, grantSeconds: grantSeconds, steps: result)
            } catch {
                await Self.stop(workers)
                throw error
            }
        }
    }

    private func runSteps(
        name: String, pairs: [TrafficPair], steps: [Int], brokerPID: Int32, directory: String,
        workers: inout [SwarmWorkerProcess], progress: @escaping @Sendable (String) -> Void
    ) async throws -> [ScaleStep] {
        let configuration = configuration
        var results: [ScaleStep] = []
        var running = 0
        for target in steps {
            // Add workers for the new pairs, one at a time: several connecting at once would
            // overflow the broker's listen backlog (100) into one-second SYN retries.
            let setupStart = MonotonicClock.nanoseconds()
            var failure: String?
            while running < target, failure == nil {
                let count = min(configuration.pairsPerWorker, target - running)
                let file = directory + "/pairs-\(workers.count)"
                try SwarmWorker.writePairs(pairs[running..<running + count], to: file)
                let worker = try SwarmWorkerProcess.start(
                    executable: configuration.workerExecutable,
                    worker: SwarmWorker(
                        pairsFile: file, payloadSize: configuration.payloadSize, deadline: configuration.deadline,
                        setupTimeout: configuration.setupTimeout, lifetime: configuration.timeLimit),
                    pairs: count)
                workers.append(worker)
                failure = try await awaitReady(worker)
                running += count
            }
            let setupSeconds = Double(MonotonicClock.nanoseconds() - setupStart) / 1e9
            let connections = workers.compactMap(\.ready?.connections).reduce(0, +)
            if let failure {
                progress("[\(name)] \(target) pairs: a worker failed after \(connections) connections: \(failure)")
                results.append(
                    ScaleStep(
                        pairs: target, connections: connections, setupSeconds: setupSeconds,
                        traffic: DeliveryLedger.Second(second: 0), windowSeconds: 0, lostConnections: 0, rejectedPublishes: 0,
                        publishFailures: 0, lateArrivals: 0, failure: "connections failed: \(failure)"))
                break
            }
            progress("[\(name)] \(target) pairs: \(connections) connections up (this step's in \(format(setupSeconds, 1)) s); \(format(Double(MonotonicClock.nanoseconds(of: configuration.window)) / 1e9, 0)) s window")
            try await Task.sleep(for: configuration.settle)
            let step = try await measureWindow(
                pairs: target, connections: connections, setupSeconds: setupSeconds, brokerPID: brokerPID, workers: workers)
            results.append(step)
            progress(
                "[\(name)] \(target) pairs: delivered \(format(100 * step.deliveryRatio, 3)) %, p50 \(format(step.latencyMilliseconds(50), 2)) ms, "
                    + "p99 \(format(step.latencyMilliseconds(99), 2)) ms, broker CPU \(step.brokerCPU.map { format(100 * $0, 1) } ?? "?") %, "
                    + "RSS \(step.brokerResidentBytes.map { format(Double($0) / 1_048_576, 1) } ?? "?") MiB; "
                    + "loopback drops \(step.loopback.map { String($0.backlogDrops) } ?? "?"), "
                    + "retransmits \(step.loopback.map { String($0.retransmittedSegments) } ?? "?")"
                    + (step.failure.map { "; FAILED: \($0)" } ?? ""))
            if !step.healthy {
                break
            }
        }
        return results
    }

    /// Waits for `worker`'s ready line; returns its failure instead if it reports one or exits.
    private func awaitReady(_ worker: SwarmWorkerProcess) async throws -> String? {
        let deadline = MonotonicClock.nanoseconds() + MonotonicClock.nanoseconds(of: configuration.setupTimeout + .seconds(10))
        while MonotonicClock.nanoseconds() < deadline {
            if worker.ready != nil {
                return nil
            }
            if let failure = worker.failure {
                return failure
            }
            if let status = worker.process.exitStatus {
                return "worker exited with status \(status) before connecting its \(worker.pairs) pairs"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return "worker did not connect its \(worker.pairs) pairs within \(configuration.setupTimeout)"
    }

    /// One window over whole seconds of `MonotonicClock`, then the workers' closed seconds.
    private func measureWindow(
        pairs: Int, connections: Int, setupSeconds: Double, brokerPID: Int32, workers: [SwarmWorkerProcess]
    ) async throws -> ScaleStep {
        let configuration = configuration
        let windowLength = max(1, UInt64(configuration.window.components.seconds))
        let first = MonotonicClock.nanoseconds() / 1_000_000_000 + 1
        let last = first + windowLength
        try await sleep(untilSecond: first)
        let cpuBefore = CPUTime.process(brokerPID)
        let generatorBefore = Self.cpu(of: workers)
        let loopbackBefore = LoopbackCounters.read()
        try await sleep(untilSecond: last)
        let cpuAfter = CPUTime.process(brokerPID)
        let generatorAfter = Self.cpu(of: workers)
        let loopbackAfter = LoopbackCounters.read()
        let resident = ProcessMemory.residentBytes(brokerPID)

        // Every worker closes a second `deadline` after it ended.
        let waitLimit = MonotonicClock.nanoseconds() + MonotonicClock.nanoseconds(of: configuration.deadline + .seconds(10))
        var failure: String?
        while workers.contains(where: { ($0.tick?.closedBelow ?? 0) < last }) {
            if let broken = workers.first(where: { !$0.process.isRunning }) {
                failure = "a worker exited: \(broken.failure ?? "status \(broken.process.exitStatus ?? -1)")"
                break
            }
            guard MonotonicClock.nanoseconds() < waitLimit else {
                failure = "workers did not report the window's seconds in time"
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        var traffic = DeliveryLedger.Second(second: first)
        var ticks = SwarmWorkerProcess.Tick(
            at: 0, connected: 0, closedBelow: 0, lostConnections: 0, rejectedPublishes: 0, publishFailures: 0, lateArrivals: 0)
        for worker in workers {
            traffic.add(worker.takeSeconds(first..<last))
            if let tick = worker.tick {
                ticks.connected += tick.connected
                ticks.lostConnections += tick.lostConnections
                ticks.rejectedPublishes += tick.rejectedPublishes
                ticks.publishFailures += tick.publishFailures
                ticks.lateArrivals += tick.lateArrivals
            }
        }
        var step = ScaleStep(
            pairs: pairs, connections: connections, setupSeconds: setupSeconds, traffic: traffic,
            windowSeconds: Double(windowLength), lostConnections: ticks.lostConnections,
            rejectedPublishes: ticks.rejectedPublishes, publishFailures: ticks.publishFailures,
            lateArrivals: ticks.lateArrivals,
            brokerCPU: cpuBefore.flatMap { before in cpuAfter.map { ($0 - before) / Double(windowLength) } },
            brokerResidentBytes: resident,
            generatorCPU: generatorBefore.flatMap { before in generatorAfter.map { ($0 - before) / Double(windowLength) } },
            loopback: loopbackBefore.flatMap { before in loopbackAfter.map { $0.since(before) } })
        step.failure = failure ?? health(of: step)
        return step
    }

    /// Why `step` does not count as held, or nil.
    private func health(of step: ScaleStep) -> String? {
        if step.connections < 2 * step.pairs {
            return "only \(step.connections) of \(2 * step.pairs) connections established"
        }
        if step.lostConnections > 0 {
            return "\(step.lostConnections) connections dropped"
        }
        if step.rejectedPublishes > 0 || step.publishFailures > 0 {
            return "\(step.rejectedPublishes) publishes refused, \(step.publishFailures) could not be sent"
        }
        if step.traffic.sent == 0 || step.deliveryRatio < configuration.minimumDeliveryRatio {
            return "delivered \(format(100 * step.deliveryRatio, 3)) % within \(configuration.deadline) "
                + "(needs \(format(100 * configuration.minimumDeliveryRatio, 1)) %)"
        }
        let bound = Double(MonotonicClock.nanoseconds(of: configuration.latencyBound)) / 1e6
        if step.latencyMilliseconds(99) > bound {
            return "p99 latency \(format(step.latencyMilliseconds(99), 1)) ms above \(format(bound, 0)) ms"
        }
        return nil
    }

    private func sleep(untilSecond second: UInt64) async throws {
        let target = second * 1_000_000_000
        let now = MonotonicClock.nanoseconds()
        if target > now {
            try await Task.sleep(for: .nanoseconds(Int64(target - now)))
        }
    }

    /// CPU seconds of all workers; nil if one is unreadable.
    private static func cpu(of workers: [SwarmWorkerProcess]) -> Double? {
        var total = 0.0
        for worker in workers {
            guard let seconds = CPUTime.process(worker.process.pid) else { return nil }
            total += seconds
        }
        return total
    }

    private static func stop(_ workers: [SwarmWorkerProcess]) async {
        for worker in workers {
            worker.process.terminate()
        }
        for worker in workers {
            if await worker.process.waitForExit(timeout: .seconds(10)) == nil {
                worker.process.kill()
                _ = await worker.process.waitForExit(timeout: .seconds(5))
            }
        }
    }
}
