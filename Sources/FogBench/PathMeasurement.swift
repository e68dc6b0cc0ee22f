import FogMQTT
import FogTestSupport
import Foundation
import Glibc

/// The traffic `link-e2e` runs over one path, on a thread of its own (a swarm blocks in
/// `epoll_wait`): one producer publishing sequence-numbered readings QoS 1 on site A's
/// broker, one consumer subscribed on site B's, the same topic on both.
struct PathMeasurement: Sendable {
    var configuration: LinkEndToEndConfiguration
    var topic: String
    var publisherPort: UInt16
    var subscriberPort: UInt16
    /// Counts the bytes of the hop from site A towards the cloud.
    var relay: TCPRelay
    /// Every process on the path with its role, for CPU per reading.
    var processes: [(name: String, pid: Int32)]

    /// Throughput, then latency at `latencyRate` (nil: a fraction of the throughput just
    /// measured), then bytes on the wire single and batched.
    func run(name: String, latencyRate: Double?, progress: @escaping @Sendable (String) -> Void) async throws -> LinkEndToEndRun {
        let measurement = self
        return try await DedicatedThread.run {
            try measurement.runOnThisThread(name: name, latencyRate: latencyRate, progress: progress)
        }
    }

    /// Bytes on the wire only: single and batched (the plain-MQTT baseline).
    func wireBytesOnly(progress: @escaping @Sendable (String) -> Void) async throws -> (single: WireBytes, batched: WireBytes) {
        let measurement = self
        return try await DedicatedThread.run {
            let traffic = try measurement.connect()
            let single = try measurement.wireBytes(traffic, readings: measurement.configuration.singleReadings, window: 1)
            let batched = try measurement.wireBytes(
                traffic, readings: measurement.configuration.burstReadings, window: measurement.configuration.burstReadings)
            progress("[mqtt] bytes per reading: single \(format(single.perReading, 1)), batched \(format(batched.perReading, 1))")
            try traffic.disconnect(timeout: measurement.configuration.setupTimeout)
            return (single, batched)
        }
    }

    private func runOnThisThread(
        name: String, latencyRate: Double?, progress: @escaping @Sendable (String) -> Void
    ) throws -> LinkEndToEndRun {
        let traffic = try connect()
        let cpuBefore = pathCPUSeconds()
        let receivedBefore = traffic.currentTotals().received
        let throughput = try traffic.runPhase(
            .closedLoop(window: configuration.window), warmup: configuration.warmup, duration: configuration.duration,
            drainTimeout: configuration.drainTimeout, brokerPID: nil)
        let delivered = traffic.currentTotals().received - receivedBefore
        let cpuAfter = pathCPUSeconds()
        var cpuByProcess: [LinkEndToEndRun.ProcessCPU] = []
        if let cpuBefore, let cpuAfter, delivered > 0 {
            for (index, process) in processes.enumerated() {
                cpuByProcess.append(
                    .init(name: process.name, microsecondsPerReading: (cpuAfter[index] - cpuBefore[index]) * 1e6 / Double(delivered)))
            }
        }
        let rate = latencyRate ?? max(1, throughput.messagesPerSecond * configuration.latencyLoad)
        progress("[\(name)] throughput \(format(throughput.messagesPerSecond, 0)) readings/s (window \(configuration.window)); latency at \(format(rate, 0)) readings/s")
        let latency = try traffic.runPhase(
            .openLoop(messagesPerSecond: rate), warmup: configuration.warmup, duration: configuration.latencyDuration,
            drainTimeout: configuration.drainTimeout, brokerPID: nil)
        progress("[\(name)] p50 \(format(Double(latency.latency.value(atPercentile: 50)) / 1e3, 0)) µs, p99 \(format(Double(latency.latency.value(atPercentile: 99)) / 1e3, 0)) µs; bytes on the wire")
        let single = try wireBytes(traffic, readings: configuration.singleReadings, window: 1)
        let batched = try wireBytes(traffic, readings: configuration.burstReadings, window: configuration.burstReadings)
        let backlog = try wireBytes(
            traffic, readings: configuration.burstReadings, window: configuration.burstReadings, outage: configuration.backlogOutage)
        let totals = traffic.currentTotals()
        progress("[\(name)] bytes per reading: single \(format(single.perReading, 1)), batched \(format(batched.perReading, 1)), backlog \(format(backlog.perReading, 1)); lost \(totals.lost), duplicated \(totals.duplicates)")
        try traffic.disconnect(timeout: configuration.setupTimeout)
        return LinkEndToEndRun(
            name: name, throughput: throughput, latency: latency, latencyRate: rate,
            cpuByProcess: cpuByProcess, single: single, batched: batched, backlog: backlog, totals: totals)
    }

    private func connect() throws -> PairTraffic {
        let traffic = try PairTraffic(
            pairs: [
                TrafficPair(
                    publisher: MQTTSwarmConnectionOptions(port: publisherPort, clientID: "bench-producer"),
                    subscriber: MQTTSwarmConnectionOptions(port: subscriberPort, clientID: "bench-consumer"),
                    topic: topic)
            ],
            payloadSize: configuration.readingSize)
        try traffic.establish(timeout: configuration.setupTimeout)
        return traffic
    }

    /// Sends `readings` with `window` in flight end to end (1: one at a time, each after the
    /// previous arrived; `readings`: one burst) and counts the relay's bytes from a quiet
    /// connection before to a quiet connection after.
    ///
    /// With an `outage`, the counted hop is cut when sending starts and refuses connections for
    /// that long, so the readings pile up on site A and cross as a backlog; the reconnection
    /// (MQTT session, link handshake) is counted too.
    private func wireBytes(_ traffic: PairTraffic, readings: Int, window: Int, outage: Duration? = nil) throws -> WireBytes {
        let before = try quietCounts()
        let receivedBefore = traffic.currentTotals().received
        let stallTimeout = traffic.stallTimeout
        defer { traffic.stallTimeout = stallTimeout }
        if let outage {
            // The consumer hears nothing during the cut; it must not give up on the readings.
            traffic.stallTimeout = MonotonicClock.nanoseconds(of: outage + configuration.drainTimeout)
            let relay = relay
            relay.setRefusesNew(true)
            relay.sever()
            Thread {
                Thread.sleep(forTimeInterval: Double(outage.components.seconds) + Double(outage.components.attoseconds) / 1e18)
                relay.setRefusesNew(false)
            }.start()
        }
        _ = try traffic.runPhase(
            .closedLoop(window: window), warmup: .zero, duration: configuration.drainTimeout, messagesPerPair: readings,
            drainTimeout: configuration.drainTimeout, brokerPID: nil)
        let after = try quietCounts()
        return WireBytes(
            readings: traffic.currentTotals().received - receivedBefore, up: after.up - before.up,
            down: after.down - before.down)
    }

    /// The relay's counts once they stayed unchanged for `quietPeriod`.
    private func quietCounts() throws -> (up: Int, down: Int) {
        let deadline = MonotonicClock.nanoseconds() + MonotonicClock.nanoseconds(of: configuration.drainTimeout)
        var last = relay.byteCounts
        while MonotonicClock.nanoseconds() < deadline {
            sleep(for: configuration.quietPeriod)
            let now = relay.byteCounts
            if now == last { return now }
            last = now
        }
        throw BenchError(.controlTimeout, "traffic on the counted connection did not stop within \(configuration.drainTimeout)")
    }

    private func sleep(for duration: Duration) {
        var request = timespec(tv_sec: Int(duration.components.seconds), tv_nsec: Int(duration.components.attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR {
            request = remaining
        }
    }

    /// User plus system CPU seconds of each process on the path; nil if one is unreadable.
    private func pathCPUSeconds() -> [Double]? {
        var seconds: [Double] = []
        for process in processes {
            guard let value = CPUTime.process(process.pid) else { return nil }
            seconds.append(value)
        }
        return seconds
    }
}
