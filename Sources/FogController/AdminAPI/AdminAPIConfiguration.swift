internal import Foundation
internal import Hummingbird

/// Where the admin API listens.
///
/// The admin API is loopback-only by design: it holds the power to enrol ComSats and
/// place links, so it is reachable only from the controller's own host (operators use
/// `fogctl` there, or an SSH tunnel). `validatedHost()` refuses any other address instead
/// of trusting a firewall to be configured.
public struct AdminAPIConfiguration: Sendable {
    /// The port `fog-controller run` uses unless told otherwise.
    public static let defaultPort = 7781

    /// An IPv4 loopback address (127.0.0.0/8) or `::1`; names are refused because a name
    /// can resolve to a public address.
    public var host: String
    /// 0 lets the kernel choose a free port (tests read it from the startup line).
    public var port: Int
    /// Sent as the `Server` header; nil sends none.
    public var serverName: String?

    public init(host: String = "127.0.0.1", port: Int = AdminAPIConfiguration.defaultPort, serverName: String? = nil) {
        self.host = host
        self.port = port
        self.serverName = serverName
    }

    /// Checks the address and port.
    /// - Throws: `.nonLoopbackAddress` or `.invalidPort`.
    public func validate() throws(ControllerConfigurationError) {
        guard (0...65535).contains(port) else {
            throw ControllerConfigurationError(
                .invalidPort, "admin API port \(port) is outside 0...65535", hint: "pass --admin-port with a value in 0...65535")
        }
        guard Self.isLoopback(host) else {
            throw ControllerConfigurationError(
                .nonLoopbackAddress, "the admin API may only listen on loopback, not on '\(host)'",
                hint: "use 127.0.0.1 (the default); reach it from elsewhere through an SSH tunnel")
        }
    }

    var bindAddress: BindAddress { .hostname(host, port: port) }

    /// True for a literal IPv4 address in 127.0.0.0/8 or the IPv6 address ::1.
    static func isLoopback(_ host: String) -> Bool {
        var ipv4 = in_addr()
        if inet_pton(AF_INET, host, &ipv4) == 1 {
            return UInt32(bigEndian: ipv4.s_addr) >> 24 == 127
        }
        var ipv6 = in6_addr()
        if inet_pton(AF_INET6, host, &ipv6) == 1 {
            var loopback = in6addr_loopback
            return memcmp(&ipv6, &loopback, MemoryLayout<in6_addr>.size) == 0
        }
        return false
    }
}
