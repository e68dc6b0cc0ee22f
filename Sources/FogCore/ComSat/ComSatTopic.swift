/// Topic names on a ComSat.
///
/// Every principal topic is `<prefix>/<opaque level>`: a one-letter prefix naming the kind of
/// traffic and one opaque level (normally an `OpaqueID`), so a topic reveals no agent,
/// location or microservice. The plugin's ACL compares whole topics byte for byte; the
/// prefixes exist so it can also check that a grant only names topics its kind may use.
public enum ComSatTopic {
    /// Control commands from the controller. Mosquitto hands `$CONTROL/...` publishes to the
    /// plugin and never delivers them to subscribers.
    public static let control = "$CONTROL/comsat/v1"
    /// Signed responses, published by the plugin to the controller's client id only.
    public static let response = "$CONTROL/comsat/v1/response"

    /// What a topic carries; the raw value is its prefix letter.
    public enum Prefix: UInt8, Sendable, CaseIterable {
        /// Controller to agent commands: `c/<agent topic id>`.
        case agentCommand = 0x63  // "c"
        /// Agent replies and status to the controller: `r/<agent topic id>`.
        case agentReply = 0x72  // "r"
        /// Provisioning request from a key holder: `q/<key topic id>`.
        case provisioningRequest = 0x71  // "q"
        /// Provisioning response from the controller: `p/<key topic id>`.
        case provisioningResponse = 0x70  // "p"
        /// One direction of a link: `l/<direction topic id>`.
        case linkDirection = 0x6C  // "l"

        /// The prefix as a topic string fragment, e.g. `"c/"`.
        public var text: String { String(decoding: [rawValue, 0x2F], as: UTF8.self) }
    }

    /// Longest opaque level accepted in a topic.
    public static let maximumLevelLength = 128

    /// The topic `<prefix>/<level>`, e.g. `topic(.agentCommand, id.description)`.
    public static func topic(_ prefix: Prefix, _ level: String) -> String {
        prefix.text + level
    }

    /// The topic `<prefix>/<id>`.
    public static func topic(_ prefix: Prefix, _ id: OpaqueID) -> String {
        prefix.text + id.description
    }

    /// The prefix of a well-formed principal topic, or nil when `topic` is not
    /// `<known prefix>/<valid level>`. Inlinable so the plugin's ACL check specialises it for
    /// the broker's C bytes.
    @inlinable
    public static func prefix(of topic: some Collection<UInt8>) -> Prefix? {
        guard topic.count >= 3, let first = topic.first, let prefix = Prefix(rawValue: first) else {
            return nil
        }
        let rest = topic.dropFirst()
        guard rest.first == 0x2F, isValidLevel(rest.dropFirst()) else { return nil }
        return prefix
    }

    /// True for 1...`maximumLevelLength` bytes of `[A-Za-z0-9._-]`: no separators, no
    /// wildcards, no `$`, nothing a log line or a shell would misread.
    @inlinable
    public static func isValidLevel(_ level: some Collection<UInt8>) -> Bool {
        guard (1...maximumLevelLength).contains(level.count) else { return false }
        return level.allSatisfy(isIdentifierByte)
    }

    /// True for bytes allowed in opaque levels, usernames and client ids.
    @usableFromInline
    static func isIdentifierByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F: true
        default: false
        }
    }
}
