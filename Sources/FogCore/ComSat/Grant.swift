/// What one principal may do on a ComSat: the controller installs it, the plugin enforces it.
///
/// A grant binds an MQTT username and client id to the SHA-256 of the principal's secret and
/// to the exact topics it may publish and subscribe to. The plugin refuses everything a grant
/// does not name, so a grant is the whole of a principal's authority on that broker.
public struct Grant: Sendable, Hashable {
    /// Which principal a grant is for; decides which topic prefixes it may name.
    public enum Kind: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// An agent: publishes its replies (`r/`), subscribes to its commands (`c/`).
        case agent = 1
        /// A provisioning key holder: publishes its request (`q/`), subscribes to the response (`p/`).
        case provisioningKey = 2
        /// One half of a link: publishes its direction, subscribes to the other (`l/` both).
        case linkHalf = 3

        public var description: String {
            switch self {
            case .agent: "agent"
            case .provisioningKey: "provisioningKey"
            case .linkHalf: "linkHalf"
            }
        }
    }

    /// Which end of a link a half is. The plugin relays a link's data only after both
    /// sides have authenticated at least once (opted in).
    public enum LinkSide: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case a = 1
        case b = 2

        public var other: LinkSide { self == .a ? .b : .a }

        public var description: String { self == .a ? "A" : "B" }
    }

    /// The link a half belongs to.
    public struct LinkBinding: Sendable, Hashable {
        public var linkID: OpaqueID
        public var side: LinkSide

        public init(linkID: OpaqueID, side: LinkSide) {
            self.linkID = linkID
            self.side = side
        }
    }

    /// Longest username or client id accepted.
    public static let maximumIdentifierLength = 128
    /// Most topics a grant may name in each of its publish and subscribe lists.
    public static let maximumTopicCount = 16
    /// Longest topic accepted: a prefix, a slash and a level.
    public static let maximumTopicLength = 2 + ComSatTopic.maximumLevelLength

    public var kind: Kind
    public var username: String
    /// The only client id this username may connect with, so one principal can never take
    /// over another's session.
    public var clientID: String
    public var secretHash: SecretHash
    /// Exact topics the principal may publish to (never retained).
    public var publishTopics: [String]
    /// Exact topics the principal may subscribe to and receive from.
    public var subscribeTopics: [String]
    /// Unix time in seconds from which the grant is refused; 0 means it does not expire.
    public var expiry: UInt64
    /// Present exactly when `kind` is `.linkHalf`.
    public var link: LinkBinding?

    public init(
        kind: Kind, username: String, clientID: String, secretHash: SecretHash,
        publishTopics: [String], subscribeTopics: [String], expiry: UInt64 = 0,
        link: LinkBinding? = nil
    ) {
        self.kind = kind
        self.username = username
        self.clientID = clientID
        self.secretHash = secretHash
        self.publishTopics = publishTopics
        self.subscribeTopics = subscribeTopics
        self.expiry = expiry
        self.link = link
    }

    /// The grant of one link half: it publishes `publishTopic` (its own direction) and
    /// subscribes to `subscribeTopic` (the peer's direction).
    public static func linkHalf(
        linkID: OpaqueID, side: LinkSide, username: String, clientID: String,
        secretHash: SecretHash, publishTopic: String, subscribeTopic: String, expiry: UInt64 = 0
    ) -> Grant {
        Grant(
            kind: .linkHalf, username: username, clientID: clientID, secretHash: secretHash,
            publishTopics: [publishTopic], subscribeTopics: [subscribeTopic], expiry: expiry,
            link: LinkBinding(linkID: linkID, side: side))
    }

    /// The grant of an agent: it receives commands on `commandTopic` and publishes replies
    /// and status on `replyTopic`.
    public static func agent(
        username: String, clientID: String, secretHash: SecretHash, commandTopic: String,
        replyTopic: String, expiry: UInt64 = 0
    ) -> Grant {
        Grant(
            kind: .agent, username: username, clientID: clientID, secretHash: secretHash,
            publishTopics: [replyTopic], subscribeTopics: [commandTopic], expiry: expiry)
    }

    /// The grant of a provisioning key holder: it publishes its request on `requestTopic`
    /// and receives the answer on `responseTopic`. Such grants normally expire.
    public static func provisioningKey(
        username: String, clientID: String, secretHash: SecretHash, requestTopic: String,
        responseTopic: String, expiry: UInt64
    ) -> Grant {
        Grant(
            kind: .provisioningKey, username: username, clientID: clientID,
            secretHash: secretHash, publishTopics: [requestTopic],
            subscribeTopics: [responseTopic], expiry: expiry)
    }
}
