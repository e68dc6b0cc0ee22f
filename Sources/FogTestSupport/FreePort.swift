internal import FogSystem

/// Free TCP ports on the loopback interface for tests: `LoopbackPort` with failures as
/// `TestSupportError`s.
///
/// The port is free when returned but not reserved: another process may take it before the
/// caller binds. `MosquittoBroker` retries with a new port when its bind fails.
public enum FreePort {
    public static func next() throws -> UInt16 {
        do {
            return try LoopbackPort.free()
        } catch {
            throw TestSupportError(.systemCall, error.message, errno: error.systemError)
        }
    }

    /// Whether something accepts TCP connections on `host:port` right now.
    public static func isAccepting(host: String = "127.0.0.1", port: UInt16) -> Bool {
        LoopbackPort.probe(host: host, port: port) != nil
    }

    /// Connects to `host:port` and closes again; returns the local port the connection came
    /// from (so a server's log line about it can be found), or `nil` if nothing accepted it.
    public static func probe(host: String = "127.0.0.1", port: UInt16) -> UInt16? {
        LoopbackPort.probe(host: host, port: port)
    }
}
