/// The controller's admin API address as `fogctl` takes it: `http://HOST[:PORT]`.
///
/// Plain HTTP is deliberate: the API listens on loopback only, so the bytes never leave
/// the host (remote use goes through an SSH tunnel, which brings its own encryption).
public struct AdminEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// - Throws: `.invalidControllerURL` saying what is wrong.
    public init(parsing text: String) throws(AdminClientError) {
        func invalid(_ reason: String) -> AdminClientError {
            AdminClientError(
                .invalidControllerURL, "'\(text)' is not a controller URL: \(reason)",
                hint: "use http://127.0.0.1:\(AdminAPIConfiguration.defaultPort) or the port given to `fog-controller run --admin-port`")
        }
        guard text.hasPrefix("http://") else { throw invalid("it must start with http://") }
        var rest = Substring(text.dropFirst("http://".count))
        if rest.hasSuffix("/") { rest.removeLast() }
        guard !rest.isEmpty, !rest.contains(where: { "/?#@ ".contains($0) }) else {
            throw invalid("only a host and a port are allowed")
        }
        let hostPart: Substring
        var portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portPart = after.dropFirst()
            }
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw invalid("write IPv6 addresses in brackets") }
            hostPart = parts[0]
            portPart = parts.count == 2 ? parts[1] : nil
        }
        guard !hostPart.isEmpty else { throw invalid("the host is empty") }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65535).contains(port) else { throw invalid("the port must be in 1...65535") }
            self.port = port
        } else {
            port = AdminAPIConfiguration.defaultPort
        }
    }

    public var description: String {
        "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
