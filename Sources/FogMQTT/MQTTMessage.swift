/// A message delivered to a subscription.
public struct MQTTMessage: Sendable, Hashable {
    public var topic: String
    public var payload: [UInt8]
    public var qos: MQTTQoS
    public var retain: Bool
    /// MQTT v5 user properties of the PUBLISH, in the order the broker sent them.
    public var userProperties: [MQTTUserProperty]
    /// The PUBLISH's packet identifier (0 for QoS 0). The broker reuses an identifier only
    /// after the message holding it was acknowledged, and sends an unacknowledged message
    /// again to a resumed session under the same one, so a redelivery after a crash can be
    /// recognised. Transport bookkeeping: not part of equality or the hash, so the same
    /// message compares equal however it was delivered.
    public var packetIdentifier: UInt16

    public init(
        topic: String, payload: [UInt8], qos: MQTTQoS, retain: Bool = false, userProperties: [MQTTUserProperty] = [],
        packetIdentifier: UInt16 = 0
    ) {
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        self.userProperties = userProperties
        self.packetIdentifier = packetIdentifier
    }

    /// The value of the first user property called `name`, if any.
    public func userProperty(_ name: String) -> String? {
        userProperties.first { $0.name == name }?.value
    }

    public static func == (lhs: MQTTMessage, rhs: MQTTMessage) -> Bool {
        lhs.topic == rhs.topic && lhs.payload == rhs.payload && lhs.qos == rhs.qos && lhs.retain == rhs.retain
            && lhs.userProperties == rhs.userProperties
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(topic)
        hasher.combine(payload)
        hasher.combine(qos)
        hasher.combine(retain)
        hasher.combine(userProperties)
    }
}
