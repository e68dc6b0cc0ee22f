/// How a traffic phase paces its publishers.
enum TrafficMode: Sendable {
    /// Each pair keeps `window` messages in flight end to end (sent, not yet received):
    /// finds the most the broker delivers, since a pair sends again the moment a message
    /// arrives.
    case closedLoop(window: Int)
    /// The pairs together send `messagesPerSecond`, round-robin, whatever the broker does:
    /// latency at a load both brokers sustain, without the queueing a saturated closed loop
    /// adds to every message.
    case openLoop(messagesPerSecond: Double)

    var name: String {
        switch self {
        case .closedLoop: "closed-loop"
        case .openLoop: "open-loop"
        }
    }
}
