/// Receives what happens on a swarm's connections, on the swarm's thread.
///
/// Called from inside `MQTTSwarm.poll` (and the waiting helpers built on it) while
/// libmosquitto processes a packet. A handler may publish or subscribe on any connection
/// from these methods, including the one the event belongs to. The buffers passed to
/// `swarm(_:received:topic:on:)` are valid only during the call.
public protocol MQTTSwarmHandler: AnyObject {
    /// The broker accepted the CONNECT.
    func swarm(_ swarm: MQTTSwarm, connected connection: MQTTSwarmConnectionID)
    /// A connection closed; `error` is nil when the swarm asked for it.
    func swarm(_ swarm: MQTTSwarm, disconnected connection: MQTTSwarmConnectionID, error: MQTTSwarmError?)
    /// The broker answered a QoS 1 or 2 PUBLISH; a `reasonCode` of 0x80 or more is a refusal.
    func swarm(_ swarm: MQTTSwarm, publishCompleted messageID: Int32, reasonCode: UInt8, on connection: MQTTSwarmConnectionID)
    /// A PUBLISH arrived.
    func swarm(
        _ swarm: MQTTSwarm,
        received payload: UnsafeRawBufferPointer,
        topic: UnsafeRawBufferPointer,
        on connection: MQTTSwarmConnectionID
    )
}

extension MQTTSwarmHandler {
    public func swarm(_ swarm: MQTTSwarm, connected connection: MQTTSwarmConnectionID) {}
    public func swarm(_ swarm: MQTTSwarm, disconnected connection: MQTTSwarmConnectionID, error: MQTTSwarmError?) {}
    public func swarm(_ swarm: MQTTSwarm, publishCompleted messageID: Int32, reasonCode: UInt8, on connection: MQTTSwarmConnectionID) {}
    public func swarm(
        _ swarm: MQTTSwarm,
        received payload: UnsafeRawBufferPointer,
        topic: UnsafeRawBufferPointer,
        on connection: MQTTSwarmConnectionID
    ) {}
}
