/// One MQTT v5 user property: a UTF-8 name/value pair carried by a PUBLISH.
///
/// Names may repeat and order is kept, as MQTT v5 requires; the broker forwards them to
/// subscribers unchanged.
public struct MQTTUserProperty: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
