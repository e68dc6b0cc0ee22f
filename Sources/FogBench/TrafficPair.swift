import FogMQTT

/// One link's worth of traffic: a publisher and a subscriber with a topic of their own.
struct TrafficPair: Sendable {
    var publisher: MQTTSwarmConnectionOptions
    var subscriber: MQTTSwarmConnectionOptions
    var topic: String
}
