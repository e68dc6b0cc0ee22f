import FogMQTT
import Foundation
import Glibc

/// One load-generating process of `comsat-scale`: a swarm of its share of the pairs (one
/// process holds about 6,600 connections at a descriptor limit of 20,000), each pair sending
/// one QoS 1 message per `interval`, reported on stdout for the scenario to add up.
///
/// `fog-bench swarm-worker` runs it; `SwarmWorkerProcess` starts it and reads its lines:
/// - `ready <connections> <setup seconds>` once every pair is connected and subscribed;
/// - `second ...` for every closed second of sending (`DeliveryLedger.Second.line`);
/// - `tick <now ns> <connected> <closed below second> <lost connections> <refused publishes> <failed publishes> <late arrivals>` about once a second;
/// - `error <message>` when it fails; it then exits non-zero.
///
/// It stops after `lifetime`, when its parent exits, or on SIGTERM.
public struct SwarmWorker: Sendable {
    /// The pairs to drive, written by the scenario (`writePairs`).
    public var pairsFile: String
    public var payloadSize: Int
    /// Each pair sends one message per interval.
    public var interval: Duration
    /// How long after its second a message may still arrive and count as delivered.
    public var deadline: Duration
    public var setupTimeout: Duration
    public var lifetime: Duration

    public init(
        pairsFile: String, payloadSize: Int = 64, interval: Duration = .seconds(1), deadline: Duration = .seconds(5),
        setupTimeout: Duration = .seconds(120), lifetime: Duration = .seconds(600)
    ) {
        self.pairsFile = pairsFile
        self.payloadSize = payloadSize
        self.interval = interval
        self.deadline = deadline
        self.setupTimeout = setupTimeout
        self.lifetime = lifetime
    }

    /// Runs until stopped; failures are also reported as an `error` line before they are thrown.
    public func run() throws {
        do {
            try drive()
        } catch {
            Self.emit("error \(String(describing: error).replacingOccurrences(of: "\n", with: " "))")
            throw error
        }
    }

    private func drive() throws {
        let parent = getppid()
        let began = MonotonicClock.nanoseconds()
        let end = began + MonotonicClock.nanoseconds(of: lifetime)
        let pairs = try Self.readPairs(pairsFile)
        let traffic = try PairTraffic(pairs: pairs, payloadSize: payloadSize)
        try traffic.establish(timeout: setupTimeout)
        Self.emit("ready \(traffic.connectedCount) \(format(Double(MonotonicClock.nanoseconds() - began) / 1e9, 3))")
        traffic.ledger = DeliveryLedger(deadline: deadline)
        try traffic.runPaced(
            interval: interval, reportEvery: .seconds(1),
            shouldStop: { MonotonicClock.nanoseconds() >= end || getppid() != parent },
            report: { traffic in
                let now = MonotonicClock.nanoseconds()
                guard var ledger = traffic.ledger else { return }
                let closed = ledger.close(now: now)
                traffic.ledger = ledger
                for second in closed {
                    Self.emit(second.line)
                }
                let totals = traffic.currentTotals()
                Self.emit(
                    "tick \(now) \(traffic.connectedCount) \(ledger.closedBelow) \(totals.lostConnections) "
                        + "\(totals.rejectedPublishes) \(totals.publishFailures) \(ledger.lateArrivals)")
            })
    }

    /// One line straight to stdout (a pipe: Swift's `print` would buffer it).
    private static func emit(_ line: String) {
        var bytes = Array((line + "\n").utf8)
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = write(STDOUT_FILENO, base + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }

    // MARK: - Pairs file

    /// Writes `pairs` for a worker, owner-only (it holds the pairs' passwords): one pair per
    /// line, tab-separated host, port, then client id, username and password of publisher and
    /// subscriber, then the topic; an absent username or password is an empty field.
    static func writePairs(_ pairs: ArraySlice<TrafficPair>, to path: String) throws {
        var text = ""
        for pair in pairs {
            let fields = [
                pair.publisher.host, String(pair.publisher.port),
                pair.publisher.clientID, pair.publisher.username ?? "", pair.publisher.password ?? "",
                pair.subscriber.clientID, pair.subscriber.username ?? "", pair.subscriber.password ?? "",
                pair.topic,
            ]
            text += fields.joined(separator: "\t") + "\n"
        }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw BenchError(.systemCall, "cannot write the worker's pairs to \(path)")
        }
    }

    static func readPairs(_ path: String) throws -> [TrafficPair] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw BenchError(.invalidArgument, "cannot read pairs file \(path): \(error)")
        }
        var pairs: [TrafficPair] = []
        for (number, line) in text.split(separator: "\n").enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 9, let port = UInt16(fields[1]) else {
                throw BenchError(.invalidArgument, "pairs file \(path), line \(number + 1): expected 9 tab-separated fields")
            }
            func optional(_ text: String) -> String? { text.isEmpty ? nil : text }
            pairs.append(
                TrafficPair(
                    publisher: MQTTSwarmConnectionOptions(
                        host: fields[0], port: port, clientID: fields[2], username: optional(fields[3]), password: optional(fields[4])),
                    subscriber: MQTTSwarmConnectionOptions(
                        host: fields[0], port: port, clientID: fields[5], username: optional(fields[6]), password: optional(fields[7])),
                    topic: fields[8]))
        }
        guard !pairs.isEmpty else {
            throw BenchError(.invalidArgument, "pairs file \(path) holds no pairs")
        }
        return pairs
    }
}
