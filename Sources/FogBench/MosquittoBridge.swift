import FogTestSupport

/// The baseline `link-e2e` compares a FogFabric link with: Mosquitto's own bridging, as
/// one would connect two sites through a cloud broker today. Both site brokers connect out
/// to the cloud broker (like link halves to their ComSat, so neither site listens for the
/// other): site A bridges `topic` out, site B bridges it in, QoS 1, `cleansession false`,
/// persistence on everywhere.
enum MosquittoBridge {
    static let siteAClientID = "bench-site-a"
    static let siteBClientID = "bench-site-b"

    /// The cloud broker: the ComSat's resource limits (comsat.conf) without the plugin.
    static func cloud() -> BrokerConfiguration {
        BrokerConfiguration(
            persistence: true,
            extraLines: [
                "autosave_interval 300", "max_queued_messages 10000", "max_inflight_messages 100", "set_tcp_nodelay true",
            ])
    }

    /// Site A: a local bus like the link's, bridging `topic` out to the cloud at `cloudPort`.
    static func siteA(topic: String, cloudPort: UInt16, bus: BrokerConfiguration) -> BrokerConfiguration {
        site(bus: bus, clientID: siteAClientID, cloudPort: cloudPort, topicLine: "topic \(topic) out 1")
    }

    /// Site B: a local bus like the link's, bridging `topic` in from the cloud at `cloudPort`.
    static func siteB(topic: String, cloudPort: UInt16, bus: BrokerConfiguration) -> BrokerConfiguration {
        site(bus: bus, clientID: siteBClientID, cloudPort: cloudPort, topicLine: "topic \(topic) in 1")
    }

    private static func site(bus: BrokerConfiguration, clientID: String, cloudPort: UInt16, topicLine: String) -> BrokerConfiguration {
        var configuration = bus
        // A `connection` block takes every line after it, so it goes last.
        configuration.extraLines += [
            "connection \(clientID)",
            "address 127.0.0.1:\(cloudPort)",
            topicLine,
            "remote_clientid \(clientID)",
            "cleansession false",
            "notifications false",
            "restart_timeout 1",
        ]
        return configuration
    }
}
