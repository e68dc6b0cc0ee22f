/// The libmosquitto client and event-loop state behind one `MQTTSwarmConnectionID`.
///
/// Its address is the libmosquitto userdata, so C callbacks reach it without a lookup.
/// The swarm's `connections` array keeps it alive for as long as the client handle exists.
final class MQTTSwarmConnection {
    enum State {
        /// Created, never connected.
        case idle
        /// CONNECT sent (or pending), no CONNACK yet.
        case connecting
        case connected
        /// The swarm sent DISCONNECT; the close that follows is expected.
        case disconnecting
        /// Closed for any reason; the socket is gone.
        case closed
    }

    let id: MQTTSwarmConnectionID
    let options: MQTTSwarmConnectionOptions
    unowned let swarm: MQTTSwarm
    /// `struct mosquitto *`; nil only after the swarm destroyed it.
    var handle: OpaquePointer?
    /// The socket registered with the poller, or -1 while there is none. libmosquitto
    /// closes it itself on errors, which also removes it from the epoll set.
    var socket: Int32 = -1
    /// Whether the poller currently reports writability for `socket`.
    var watchingWrite = false
    var state: State = .idle

    init(id: MQTTSwarmConnectionID, options: MQTTSwarmConnectionOptions, swarm: MQTTSwarm) {
        self.id = id
        self.options = options
        self.swarm = swarm
    }
}
