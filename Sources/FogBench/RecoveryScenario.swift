import FogMQTT
import FogTestSupport
import Glibc
import Synchronization

/// Issue 7, scenario 7: links with a backlog across a ComSat restart.
///
/// Every link's halves connect with persistent sessions (clean start false, the session
/// expiry a link half asks for) and the receiving half subscribes QoS 1; then the receiving
/// halves disconnect, the sending halves publish a backlog the broker queues for them, and the
/// broker restarts on the same port and data directory (SIGTERM, which saves the database; or
/// with `kill`, SIGUSR1 to save it and SIGKILL). Every half, the ones that were away included,
/// reconnects with a link half's jittered exponential backoff from the moment it sees the
/// broker go. Measured from the start of the restart: the broker accepting again, the last
/// half back, the last backlog message delivered, each message counted by sequence (lost,
/// duplicated). Bare Mosquitto with the same persistence and clients is the baseline.
public struct RecoveryScenario: Sendable {
    public var configuration: RecoveryConfiguration

    public init(configuration: RecoveryConfiguration) {
        self.configuration = configuration
    }

    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> RecoveryReport {
        let scenario = self
        return try await TimeLimit.run(configuration.timeLimit, "comsat-recovery") {
            try await scenario.measure(progress: progress)
        }
    }

    private func measure(progress: @escaping @Sendable (String) -> Void) async throws -> RecoveryReport {
        let configuration = configuration
        guard configuration.links > 0, configuration.backlog > 0, configuration.rounds > 0, configuration.maximumConnecting > 0 else {
            throw BenchError(
                .invalidArgument,
                "links, backlog, rounds and maximum connecting must be positive, got \(configuration.links), "
                    + "\(configuration.backlog), \(configuration.rounds), \(configuration.maximumConnecting)")
        }
        let descriptors = try MQTTSwarm.raiseDescriptorLimit()
        let needed = configuration.links * 2 * MQTTSwarm.descriptorsPerConnection
        guard needed < descriptors else {
            throw BenchError(.invalidArgument, "\(configuration.links) links need about \(needed) file descriptors; the limit is \(descriptors)")
        }
        let loadBefore = MachineLoad.oneMinute()
        var comsat: [RecoveryRun] = []
        var bare: [RecoveryRun] = []
        for round in 1...configuration.rounds {
            // Alternating the order cancels a steady drift in what else the machine does.
            for variant in round % 2 == 1 ? ["comsat", "bare"] : ["bare", "comsat"] {
                progress("round \(round)/\(configuration.rounds): \(variant)")
                if variant == "comsat" {
                    // A fresh ComSat each round: no grant, session or opt-in left from the last.
                    let controller = try ComSatController.create()
                    defer { controller.remove() }
                    comsat.append(try await measure(
                        .comsat(pairs: configuration.links, plugin: configuration.comsatPlugin, controller: controller),
                        progress: progress))
                } else {
                    bare.append(try await measure(.bare(pairs: configuration.links), progress: progress))
                }
            }
        }
        return RecoveryReport(configuration: configuration, comsat: comsat, bare: bare, load: (loadBefore, MachineLoad.oneMinute()))
    }

    private func measure(_ target: DataPathTarget, progress: @escaping @Sendable (String) -> Void) async throws -> RecoveryRun {
        let configuration = configuration
        var broker = target.broker
        broker.persistence = true
        broker.connectionMessages = false
        let name = target.name
        return try await withMosquitto(broker) { broker in
            let grantSeconds = try await target.prepare(broker)
            let pairs = target.pairs(broker.port).map { pair in
                var pair = pair
                pair.publisher.sessionExpiry = configuration.sessionExpiry
                pair.subscriber.sessionExpiry = configuration.sessionExpiry
                return pair
            }
            progress("[\(name)] broker on \(broker.host):\(broker.port), persistence on; \(pairs.count) links with persistent sessions")
            let timeline = RestartTimeline()
            let restart: @Sendable () -> Void = {
                timeline.trigger()
                Task {
                    do {
                        if configuration.kill {
                            try await Self.saveDatabase(broker)
                        }
                        timeline.mark(\.began)
                        if configuration.kill {
                            await broker.kill()
                        } else {
                            await broker.stop()
                        }
                        timeline.mark(\.stopped)
                        try await broker.start()
                        timeline.mark(\.accepting)
                    } catch {
                        timeline.fail("\(error)")
                    }
                }
            }
            let measured: (Double, PairTraffic.RecoveryTimes, PairTraffic.Totals)
            do {
                measured = try await DedicatedThread.run {
                    let began = MonotonicClock.nanoseconds()
                    let traffic = try PairTraffic(pairs: pairs, payloadSize: configuration.payloadSize)
                    try traffic.establish(timeout: configuration.setupTimeout)
                    try traffic.disconnectSubscribers(timeout: configuration.setupTimeout)
                    try traffic.publishBacklog(messagesPerPair: configuration.backlog, timeout: configuration.setupTimeout)
                    let setupSeconds = Double(MonotonicClock.nanoseconds() - began) / 1e9
                    progress("[\(name)] \(pairs.count * configuration.backlog) backlog messages queued for the away halves in \(format(setupSeconds, 2)) s; restarting the broker (\(configuration.kill ? "SIGUSR1 save, SIGKILL" : "SIGTERM"))")
                    restart()
                    let times = try traffic.recover(
                        policy: configuration.reconnect, maximumConnecting: configuration.maximumConnecting,
                        expectedPerPair: configuration.backlog, timeout: configuration.recoveryTimeout)
                    let totals = traffic.currentTotals()
                    // Measured already; a half that cannot say goodbye changes nothing, and the
                    // broker is stopped next either way.
                    try? traffic.disconnect(timeout: configuration.setupTimeout)
                    return (setupSeconds, times, totals)
                }
            } catch {
                // A restart under way must end before the harness stops the broker and deletes
                // its files, or it would start a broker nobody stops; its own outcome no longer matters.
                if timeline.wasTriggered {
                    _ = try? await timeline.finished(timeout: configuration.recoveryTimeout)
                }
                throw error
            }
            let (setupSeconds, times, totals) = measured
            let marks = try await timeline.finished(timeout: configuration.recoveryTimeout)
            func since(_ instant: UInt64?) -> Double? {
                instant.map { Double(Int64(bitPattern: $0 &- marks.began)) / 1e9 }
            }
            let run = RecoveryRun(
                name: name, links: pairs.count, setupSeconds: setupSeconds, grantSeconds: grantSeconds,
                stoppedSeconds: since(marks.stopped) ?? 0, acceptingSeconds: since(marks.accepting) ?? 0,
                reconnectedSeconds: since(times.allReconnectedAt), deliveredSeconds: since(times.allDeliveredAt),
                halvesReconnected: times.reconnected, connectionAttempts: times.attempts,
                backlogSent: totals.sent, received: totals.received, lost: totals.lost, duplicates: totals.duplicates,
                rejectedPublishes: totals.rejectedPublishes)
            progress(
                "[\(name)] stopped \(format(run.stoppedSeconds, 3)) s, accepting \(format(run.acceptingSeconds, 3)) s, "
                    + "all halves back \(run.reconnectedSeconds.map { format($0, 3) } ?? "never") s, "
                    + "backlog delivered \(run.deliveredSeconds.map { format($0, 3) } ?? "never") s; "
                    + "\(run.halvesReconnected)/\(2 * pairs.count) reconnected in \(run.connectionAttempts) attempts, lost \(run.lost), duplicated \(run.duplicates)")
            return run
        }
    }

    /// SIGUSR1 makes Mosquitto write its database now; returns once the new file is in place
    /// (it logs "Saving in-memory database", writes `<file>.new`, then renames it).
    private static func saveDatabase(_ broker: MosquittoBroker) async throws {
        guard let pid = broker.pid else {
            throw BenchError(.systemCall, "the broker on port \(broker.port) has no process to signal")
        }
        let logStart = broker.logText().utf8.count
        guard Glibc.kill(pid, SIGUSR1) == 0 else {
            throw BenchError(.systemCall, "cannot signal broker pid \(pid): \(String(cString: strerror(errno)))")
        }
        let database = broker.dataDirectory + "mosquitto.db"
        try await waitUntil("mosquitto's database saved after SIGUSR1", timeout: .seconds(30), poll: .milliseconds(5)) {
            let log = String(broker.logText().utf8.dropFirst(logStart)) ?? ""
            guard log.contains("Saving in-memory database") else { return false }
            if log.contains("Error saving in-memory database") {
                throw BenchError(.systemCall, "mosquitto could not save its database: \(log)")
            }
            return access(database, F_OK) == 0 && access(database + ".new", F_OK) != 0
        }
    }

    /// When the restart reached each point (`MonotonicClock` nanoseconds), written by the task
    /// restarting the broker and read once the swarm thread is done.
    private final class RestartTimeline: Sendable {
        struct Marks: Sendable {
            var began: UInt64 = 0
            var stopped: UInt64?
            var accepting: UInt64?
            var failure: String?
        }

        private let marks = Mutex(Marks())
        private let triggered = Mutex(false)

        /// Called when the restart is handed to its task.
        func trigger() {
            triggered.withLock { $0 = true }
        }

        var wasTriggered: Bool { triggered.withLock { $0 } }

        func mark(_ point: WritableKeyPath<Marks, UInt64?>) {
            let now = MonotonicClock.nanoseconds()
            marks.withLock { $0[keyPath: point] = now }
        }

        func mark(_ point: WritableKeyPath<Marks, UInt64>) {
            let now = MonotonicClock.nanoseconds()
            marks.withLock { $0[keyPath: point] = now }
        }

        func fail(_ reason: String) {
            marks.withLock { $0.failure = reason }
        }

        /// The marks once the broker accepts again.
        /// - Throws: the restart's failure, or a timeout.
        func finished(timeout: Duration) async throws -> Marks {
            var result = Marks()
            try await waitUntil("the restarted broker accepting connections", timeout: timeout) {
                result = marks.withLock { $0 }
                if let failure = result.failure {
                    throw BenchError(.systemCall, "the broker restart failed: \(failure)")
                }
                return result.accepting != nil
            }
            return result
        }
    }
}
