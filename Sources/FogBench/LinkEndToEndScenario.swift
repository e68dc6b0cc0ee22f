import FogMQTT
import FogTestSupport
import Foundation

/// Scenario `link-e2e` (issue 5): one FogFabric link end to end (two `fog-link` halves with
/// encryption, disk queue and end-to-end acknowledgements, a ComSat with the plugin, a local
/// Mosquitto per side) against a Mosquitto bridge (site A → cloud broker → site B, QoS 1,
/// persistence, `cleansession false`) carrying the same readings in the same run; then plain
/// MQTT QoS 1 publishing the same readings to a broker, for bytes on the wire.
///
/// Both paths get the same traffic from the same generator: throughput with a bounded
/// window in flight end to end, latency at one offered rate (derived from the link's
/// throughput unless given), bytes on site A's hop towards the cloud, single and batched.
/// On each path that hop runs through a byte-counting relay, so both pay for it alike.
public struct LinkEndToEndScenario: Sendable {
    /// The producer's topic on site A's bus and the consumer's on site B's.
    static let topic = "ms/sensor/out"

    public var configuration: LinkEndToEndConfiguration

    public init(configuration: LinkEndToEndConfiguration) {
        self.configuration = configuration
    }

    public func run(progress: @escaping @Sendable (String) -> Void) async throws -> LinkEndToEndReport {
        let scenario = self
        return try await TimeLimit.run(configuration.timeLimit, "link-e2e") {
            try await scenario.runUnlimited(progress: progress)
        }
    }

    private func runUnlimited(progress: @escaping @Sendable (String) -> Void) async throws -> LinkEndToEndReport {
        let configuration = configuration
        guard configuration.readingSize >= SequencedPayload.headerSize else {
            throw BenchError(.invalidArgument, "readings need at least \(SequencedPayload.headerSize) bytes")
        }
        guard configuration.window > 0, configuration.singleReadings > 0, configuration.burstReadings > 0 else {
            throw BenchError(.invalidArgument, "window, single and burst readings must be positive")
        }
        for file in [configuration.comsatPlugin, configuration.fogLink] where !FileManager.default.fileExists(atPath: file) {
            throw BenchError(.missingPrerequisite, "\(file) does not exist (build it first)")
        }
        let loadBefore = MachineLoad.oneMinute()
        let link = try await measureLink(progress: progress)
        let bridge = try await measureBridge(latencyRate: link.latencyRate, progress: progress)
        let plain = try await measurePlainMQTT(progress: progress)
        return LinkEndToEndReport(
            configuration: configuration, link: link, bridge: bridge, plainSingle: plain.single, plainBatched: plain.batched,
            load: (loadBefore, MachineLoad.oneMinute()))
    }

    /// The local buses of both designs: the agent's bus settings (persistence, room for a
    /// half's queued messages, TCP_NODELAY as in broker-config/local-bus.conf).
    private static let bus = BrokerConfiguration(
        persistence: true, extraLines: ["max_queued_messages 10000", "set_tcp_nodelay true"])

    private func measureLink(progress: @escaping @Sendable (String) -> Void) async throws -> LinkEndToEndRun {
        let configuration = configuration
        let controller = try ComSatController.create()
        defer { controller.remove() }
        let directory = try TemporaryDirectory(prefix: "bench-link-e2e")
        defer { directory.remove() }
        var comsatBroker = controller.brokerConfiguration(plugin: configuration.comsatPlugin)
        comsatBroker.template = "comsat.conf"
        comsatBroker.persistence = true
        progress("[link] starting a ComSat with the plugin, two local buses and two fog-link halves")
        return try await withMosquitto(comsatBroker) { comsat in
            try await withMosquitto(Self.bus) { busA in
                try await withMosquitto(Self.bus) { busB in
                    let relay = try TCPRelay(targetPort: comsat.port)
                    defer { relay.close() }
                    let link = try await BenchLink.start(
                        fogLink: configuration.fogLink, directory: directory.path, topic: Self.topic, comsatPort: comsat.port,
                        relayPort: relay.port, busA: busA, busB: busB, controller: controller, timeout: configuration.setupTimeout)
                    do {
                        let named: [(String, Int32?)] = [
                            ("bus a", busA.pid), ("fog-link a", link.pids[0]), ("comsat", comsat.pid),
                            ("fog-link b", link.pids[1]), ("bus b", busB.pid),
                        ]
                        let processes = named.compactMap { name, pid in pid.map { (name: name, pid: $0) } }
                        let run = try await PathMeasurement(
                            configuration: configuration, topic: Self.topic, publisherPort: busA.port, subscriberPort: busB.port,
                            relay: relay, processes: processes
                        ).run(name: "link", latencyRate: configuration.latencyRate, progress: progress)
                        guard link.isRunning else { throw BenchError(.missingPrerequisite, "a fog-link half exited during the run") }
                        await link.stop()
                        return run
                    } catch {
                        await link.stop()
                        throw error
                    }
                }
            }
        }
    }

    private func measureBridge(latencyRate: Double, progress: @escaping @Sendable (String) -> Void) async throws -> LinkEndToEndRun {
        let configuration = configuration
        progress("[bridge] starting a cloud broker and two site brokers bridged to it")
        return try await withMosquitto(MosquittoBridge.cloud()) { cloud in
            let relay = try TCPRelay(targetPort: cloud.port)
            defer { relay.close() }
            let siteA = MosquittoBridge.siteA(topic: Self.topic, cloudPort: relay.port, bus: Self.bus)
            let siteB = MosquittoBridge.siteB(topic: Self.topic, cloudPort: cloud.port, bus: Self.bus)
            return try await withMosquitto(siteA) { siteA in
                try await withMosquitto(siteB) { siteB in
                    try await waitUntil("both bridges connected to the cloud broker", timeout: configuration.setupTimeout) {
                        let log = cloud.logText()
                        return log.contains(" as \(MosquittoBridge.siteAClientID) ") && log.contains(" as \(MosquittoBridge.siteBClientID) ")
                    }
                    let named: [(String, Int32?)] = [("site a", siteA.pid), ("cloud", cloud.pid), ("site b", siteB.pid)]
                    let processes = named.compactMap { name, pid in pid.map { (name: name, pid: $0) } }
                    return try await PathMeasurement(
                        configuration: configuration, topic: Self.topic, publisherPort: siteA.port, subscriberPort: siteB.port,
                        relay: relay, processes: processes
                    ).run(name: "bridge", latencyRate: latencyRate, progress: progress)
                }
            }
        }
    }

    /// A publisher sending the readings QoS 1 to a broker through the relay; the subscriber
    /// is on the same broker.
    private func measurePlainMQTT(
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> (single: WireBytes, batched: WireBytes) {
        let configuration = configuration
        progress("[mqtt] plain MQTT QoS 1 to one broker")
        return try await withMosquitto(Self.bus) { broker in
            let relay = try TCPRelay(targetPort: broker.port)
            defer { relay.close() }
            return try await PathMeasurement(
                configuration: configuration, topic: Self.topic, publisherPort: relay.port, subscriberPort: broker.port,
                relay: relay, processes: []
            ).wireBytesOnly(progress: progress)
        }
    }
}
