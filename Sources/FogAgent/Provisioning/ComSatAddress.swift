/// Where the agent reaches a ComSat: `mqtts://HOST:PORT`, or `mqtt://HOST:PORT` for
/// loopback tests. Parsed strictly: anything the MQTT client would silently ignore (paths,
/// user info, queries) is refused so a typo cannot go unnoticed.
public struct ComSatAddress: Sendable, Hashable, CustomStringConvertible {
    public var usesTLS: Bool
    /// Host name or address, IPv6 without brackets.
    public var host: String
    public var port: UInt16

    /// - Throws: `.invalidURL` naming what is wrong.
    public init(parsing text: String) throws(AgentProvisioningError) {
        func invalid(_ reason: String) -> AgentProvisioningError {
            AgentProvisioningError(
                .invalidURL, "'\(text)' is not a ComSat address: \(reason)",
                hint: "give the ComSat as mqtts://HOST:PORT, e.g. mqtts://comsat-1.example:8883")
        }
        let rest: Substring
        if text.hasPrefix("mqtts://") {
            usesTLS = true
            rest = text.dropFirst(8)
        } else if text.hasPrefix("mqtt://") {
            usesTLS = false
            rest = text.dropFirst(7)
        } else {
            throw invalid("the scheme must be mqtts://")
        }
        var hostPart = rest
        var portPart: Substring?
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            hostPart = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("unexpected text after the IPv6 address") }
                portPart = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            hostPart = rest[..<colon]
            portPart = rest[rest.index(after: colon)...]
            guard !hostPart.contains(":") else { throw invalid("write an IPv6 address in brackets") }
        }
        guard !hostPart.isEmpty,
            hostPart.utf8.allSatisfy({ byte in
                switch byte {
                case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x3A: true
                default: false
                }
            })
        else {
            throw invalid("the host must be a name or an address, without user, path or query")
        }
        host = String(hostPart)
        if let portPart {
            guard let port = UInt16(portPart), port > 0, portPart.allSatisfy(\.isNumber) else {
                throw invalid("the port must be a number in 1...65535")
            }
            self.port = port
        } else {
            port = usesTLS ? 8883 : 1883
        }
    }

    public var description: String {
        "\(usesTLS ? "mqtts" : "mqtt")://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }
}
