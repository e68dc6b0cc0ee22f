/// A ComSat's address: `mqtts://host:port` (TLS) or `mqtt://host:port` (plain, for tests
/// and loopback only), parsed strictly.
///
/// Nothing else is accepted — no user info, path, query or fragment — because anything
/// extra would be silently ignored by the MQTT client and so hide a typo. The port
/// defaults to 8883 for mqtts and 1883 for mqtt. The controller (enrolment), the agent
/// (provisioning, its home ComSat) and the link half (its assignment) all parse with this one
/// type and turn `ComSatURLError` into their own error with their own hint.
public struct ComSatURL: Sendable, Hashable, CustomStringConvertible {
    public var usesTLS: Bool
    /// A DNS name, an IPv4 address or an IPv6 address (without brackets).
    public var host: String
    public var port: UInt16

    public init(usesTLS: Bool, host: String, port: UInt16) {
        self.usesTLS = usesTLS
        self.host = host
        self.port = port
    }

    /// - Throws: `ComSatURLError` saying which part is wrong.
    public init(parsing text: String) throws(ComSatURLError) {
        func invalid(_ reason: String) -> ComSatURLError {
            ComSatURLError(text: text, reason: reason)
        }
        let rest: Substring
        if text.hasPrefix("mqtts://") {
            usesTLS = true
            rest = text.dropFirst("mqtts://".count)
        } else if text.hasPrefix("mqtt://") {
            usesTLS = false
            rest = text.dropFirst("mqtt://".count)
        } else {
            throw invalid("the scheme must be mqtts:// or mqtt://")
        }
        guard !rest.contains(where: { "/?#@ ".contains($0) }) else {
            throw invalid("user info, paths, queries, fragments and spaces are not allowed")
        }
        let hostPart: Substring
        let portPart: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalid("unterminated IPv6 address") }
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.isEmpty {
                portPart = nil
            } else {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portPart = after.dropFirst()
            }
            guard !hostPart.isEmpty, hostPart.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }),
                hostPart.contains(":")
            else {
                throw invalid("'\(hostPart)' is not an IPv6 address")
            }
        } else {
            let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw invalid("more than one ':' (write IPv6 addresses in brackets)") }
            hostPart = parts[0]
            portPart = parts.count == 2 ? parts[1] : nil
            guard Self.isHostName(hostPart) else {
                throw invalid("'\(hostPart)' is not a host name (letters, digits, '-' and '.', at most 253 characters)")
            }
        }
        host = String(hostPart)
        if let portPart {
            guard !portPart.isEmpty, portPart.allSatisfy(\.isASCII), portPart.allSatisfy(\.isNumber),
                portPart.count <= 5, let port = UInt16(portPart), port > 0, !portPart.hasPrefix("0")
            else {
                throw invalid("the port must be a number in 1...65535")
            }
            self.port = port
        } else {
            port = usesTLS ? 8883 : 1883
        }
    }

    private static func isHostName(_ host: Substring) -> Bool {
        guard (1...253).contains(host.utf8.count), !host.hasPrefix("."), !host.hasSuffix("."),
            !host.hasPrefix("-"), !host.contains("..")
        else { return false }
        return host.utf8.allSatisfy { byte in
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E: true
            default: false
            }
        }
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(usesTLS ? "mqtts" : "mqtt")://\(shownHost):\(port)"
    }
}

/// Why a text is not a ComSat URL. `message` quotes the text and names the wrong part.
public struct ComSatURLError: Error, Sendable, Hashable, CustomStringConvertible {
    public var text: String
    public var reason: String

    public init(text: String, reason: String) {
        self.text = text
        self.reason = reason
    }

    public var message: String { "'\(text)' is not a ComSat URL: \(reason); expected mqtts://HOST:PORT" }

    public var description: String { "ComSatURLError: \(message)" }
}
