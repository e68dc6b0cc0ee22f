/// One connection of a swarm: where it goes and who it claims to be.
///
/// Every connection speaks MQTT v5 with a clean start and no session expiry, so a
/// benchmark run leaves no session behind on the broker.
public struct MQTTSwarmConnectionOptions: Sendable {
    public var host: String
    public var port: UInt16
    public var clientID: String
    public var username: String?
    public var password: String?
    /// Seconds between PINGREQs when the connection is otherwise idle.
    public var keepAlive: Int32

    public init(
        host: String = "127.0.0.1",
        port: UInt16,
        clientID: String,
        username: String? = nil,
        password: String? = nil,
        keepAlive: Int32 = 60
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.keepAlive = keepAlive
    }
}
