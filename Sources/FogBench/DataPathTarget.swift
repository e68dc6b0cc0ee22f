import FogCore
import FogMQTT
import FogTestSupport

/// A broker set-up scenario (a) measures: how to start it, and who connects with what.
struct DataPathTarget: Sendable {
    var name: String
    var broker: BrokerConfiguration
    /// The pairs for a broker listening on `port`.
    var pairs: @Sendable (_ port: UInt16) -> [TrafficPair]
    /// Runs after the broker started and before anyone connects (e.g. installs grants);
    /// returns how long it took, or nil when there is nothing to do.
    var prepare: @Sendable (_ broker: MosquittoBroker) async throws -> Double?

    /// Mosquitto as shipped, anonymous access, no plugin: the baseline.
    static func bare(pairs count: Int) -> DataPathTarget {
        DataPathTarget(
            name: "bare",
            broker: BrokerConfiguration(allowAnonymous: true),
            pairs: { port in
                (0..<count).map { index in
                    TrafficPair(
                        publisher: MQTTSwarmConnectionOptions(port: port, clientID: "bench-pub-\(index)"),
                        subscriber: MQTTSwarmConnectionOptions(port: port, clientID: "bench-sub-\(index)"),
                        topic: "bench/\(index)"
                    )
                }
            },
            prepare: { _ in nil }
        )
    }

    /// Mosquitto with the ComSat plugin: each pair is a link whose publisher is half A
    /// and subscriber half B, with real credentials and grants the bench installs through
    /// the control channel (signed, in batches) before anyone connects.
    static func comsat(pairs count: Int, plugin: String, controller: ComSatController, batchSize: Int = 500) -> DataPathTarget {
        let links = LinkHalfCredentials.links(count)
        return DataPathTarget(
            name: "comsat",
            broker: controller.brokerConfiguration(plugin: plugin),
            pairs: { port in
                links.map { link in
                    TrafficPair(
                        publisher: MQTTSwarmConnectionOptions(
                            port: port, clientID: link.a.clientID, username: link.a.username, password: link.a.password),
                        subscriber: MQTTSwarmConnectionOptions(
                            port: port, clientID: link.b.clientID, username: link.b.username, password: link.b.password),
                        topic: link.a.publishTopic
                    )
                }
            },
            prepare: { broker in
                let port = broker.port
                let grants = links.flatMap { [$0.a.grant, $0.b.grant] }
                return try await DedicatedThread.run {
                    let began = MonotonicClock.nanoseconds()
                    let session = try ComSatControlSession(controller: controller, port: port)
                    try session.connect(timeout: .seconds(30))
                    for start in stride(from: 0, to: grants.count, by: batchSize) {
                        let batch = Array(grants[start..<min(start + batchSize, grants.count)])
                        let (refused, first) = try session.addGrants(batch, timeout: .seconds(60))
                        guard refused == 0 else {
                            throw BenchError(.controlRejected, "ComSat refused \(refused) of \(batch.count) grants: \(first ?? "")")
                        }
                    }
                    try session.disconnect(timeout: .seconds(30))
                    return Double(MonotonicClock.nanoseconds() - began) / 1e9
                }
            }
        )
    }
}
