internal import Glibc

/// Free TCP ports on 127.0.0.1, from the kernel's ephemeral range.
///
/// The port is free when returned but not reserved: another process may take it before the
/// caller binds, so callers retry with a new port when their bind fails.
public enum LoopbackPort {
    public static func free() throws(ChildProcessError) -> UInt16 {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else {
            throw failure("socket")
        }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(socketFD, socketAddress, length) == 0 && getsockname(socketFD, socketAddress, &length) == 0
            }
        }
        guard bound else {
            throw failure("bind/getsockname on 127.0.0.1:0")
        }
        return UInt16(bigEndian: address.sin_port)
    }

    /// Whether something accepts TCP connections on `127.0.0.1:port` right now.
    public static func isAccepting(_ port: UInt16) -> Bool {
        probe(host: "127.0.0.1", port: port) != nil
    }

    /// Connects to `host:port` (IPv4) and closes again; returns the local port the connection
    /// came from (so a server's log line about it can be found), or nil if nothing accepted it.
    public static func probe(host: String, port: UInt16) -> UInt16? {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { return nil }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else { return nil }
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                connect(socketFD, socketAddress, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { return nil }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socketFD, $0, &length) == 0 }
        }
        return named ? UInt16(bigEndian: local.sin_port) : nil
    }

    private static func failure(_ operation: String) -> ChildProcessError {
        let code = errno
        return ChildProcessError(.systemCall, "\(operation) failed: \(String(cString: strerror(code)))", systemError: code)
    }
}
