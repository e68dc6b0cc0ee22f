/// One connection of a swarm: where it goes and who it claims to be.
///
/// Every connection speaks MQTT v5. By default it starts clean with no session expiry, so a
/// benchmark run leaves no session behind on the broker; with `sessionExpiry` it keeps a
/// persistent session the way a link half does (clean start false), so a recovery benchmark
/// can leave messages queued for it while it is away.
public struct MQTTSwarmConnectionOptions: Sendable {
    public var host: String
    public var port: UInt16
    public var clientID: String
    public var username: String?
    public var password: String?
    /// Seconds between PINGREQs when the connection is otherwise idle.
    public var keepAlive: Int32
    /// Seconds the broker keeps the session after the connection closes; the connection then
    /// resumes it (clean start false). nil: clean start, the session ends with the connection.
    public var sessionExpiry: UInt32?

    public init(
        host: String = "127.0.0.1",
        port: UInt16,
        clientID: String,
        username: String? = nil,
        password: String? = nil,
        keepAlive: Int32 = 60,
        sessionExpiry: UInt32? = nil
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.username = username
        self.password = password
        self.keepAlive = keepAlive
        self.sessionExpiry = sessionExpiry
    }
}
