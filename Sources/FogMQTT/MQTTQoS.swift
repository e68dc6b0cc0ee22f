/// MQTT delivery guarantee of a publish or subscription.
public enum MQTTQoS: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case atMostOnce = 0
    case atLeastOnce = 1
    case exactlyOnce = 2

    public var description: String { "QoS \(rawValue)" }
}
