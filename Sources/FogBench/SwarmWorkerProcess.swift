import FogMQTT
import FogTestSupport
import Synchronization

/// A running `fog-bench swarm-worker` (`SwarmWorker`) and what it reported so far, read from
/// its stdout as it arrives.
final class SwarmWorkerProcess: Sendable {
    struct Tick: Sendable {
        var at: UInt64
        var connected: Int
        /// The worker closed every second below this one.
        var closedBelow: UInt64
        var lostConnections: Int
        var rejectedPublishes: Int
        var publishFailures: Int
        var lateArrivals: Int
    }

    private struct State {
        var pending: [UInt8] = []
        var ready: (connections: Int, seconds: Double)?
        var failure: String?
        var seconds: [UInt64: DeliveryLedger.Second] = [:]
        var tick: Tick?
    }

    let pairs: Int
    let process: ChildProcess
    private let reader: Reader

    private init(pairs: Int, process: ChildProcess, reader: Reader) {
        self.pairs = pairs
        self.process = process
        self.reader = reader
    }

    /// Starts `executable swarm-worker ...` for `pairs` pairs; its stderr goes to this
    /// process's stderr.
    static func start(executable: String, worker: SwarmWorker, pairs: Int) throws -> SwarmWorkerProcess {
        let reader = Reader()
        let arguments = [
            "swarm-worker", "--pairs-file", worker.pairsFile, "--payload-size", String(worker.payloadSize),
            "--interval", format(seconds(worker.interval), 3), "--deadline", format(seconds(worker.deadline), 3),
            "--setup-timeout", format(seconds(worker.setupTimeout), 0), "--lifetime", format(seconds(worker.lifetime), 0),
        ]
        let process = try ChildProcess.spawn(
            executable, arguments, standardOutput: .pipe { chunk in reader.feed(chunk) }, standardError: .inherit)
        return SwarmWorkerProcess(pairs: pairs, process: process, reader: reader)
    }

    var ready: (connections: Int, seconds: Double)? { reader.state.withLock { $0.ready } }
    var failure: String? { reader.state.withLock { $0.failure } }
    var tick: Tick? { reader.state.withLock { $0.tick } }

    /// The seconds of `range` the worker closed, summed, and forgotten with everything older.
    func takeSeconds(_ range: Range<UInt64>) -> DeliveryLedger.Second {
        reader.state.withLock { state in
            var total = DeliveryLedger.Second(second: range.lowerBound)
            for (second, record) in state.seconds where range.contains(second) {
                total.add(record)
            }
            state.seconds = state.seconds.filter { $0.key >= range.upperBound }
            return total
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(MonotonicClock.nanoseconds(of: duration)) / 1e9
    }

    /// Turns the pipe's chunks into lines and what they report, on the pipe's reader thread.
    private final class Reader: Sendable {
        let state = Mutex(State())

        func feed(_ chunk: [UInt8]?) {
            guard let chunk else { return }
            state.withLock { state in
                state.pending += chunk
                guard let last = state.pending.lastIndex(of: UInt8(ascii: "\n")) else { return }
                let lines = state.pending[..<last].split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
                state.pending.removeSubrange(...last)
                for line in lines {
                    Self.apply(Substring(line), to: &state)
                }
            }
        }

        private static func apply(_ line: Substring, to state: inout State) {
            let fields = line.split(separator: " ")
            switch fields.first {
            case "second":
                if let record = DeliveryLedger.Second(line: line) {
                    state.seconds[record.second] = record
                }
            case "tick":
                let numbers = fields.dropFirst().compactMap { UInt64($0) }
                guard numbers.count == 7 else { return }
                state.tick = Tick(
                    at: numbers[0], connected: Int(numbers[1]), closedBelow: numbers[2], lostConnections: Int(numbers[3]),
                    rejectedPublishes: Int(numbers[4]), publishFailures: Int(numbers[5]), lateArrivals: Int(numbers[6]))
            case "ready":
                if fields.count == 3, let connections = Int(fields[1]), let seconds = Double(fields[2]) {
                    state.ready = (connections, seconds)
                }
            case "error":
                state.failure = String(line.dropFirst("error ".count))
            default:
                return
            }
        }
    }
}
