public import FogCore
public import GRDB

/// One side of a link: which agent runs it, its MQTT principal and its topics.
///
/// `secretHash` stays nil until the half generated its secret and reported the hash; only
/// then can its grant be installed.
public struct LinkHalfRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "linkHalf"

    public enum Side: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        case a, b

        public var grantSide: Grant.LinkSide { self == .a ? .a : .b }
    }

    public enum Columns {
        public static let linkID = Column(CodingKeys.linkID)
        public static let side = Column(CodingKeys.side)
        public static let agentID = Column(CodingKeys.agentID)
        public static let username = Column(CodingKeys.username)
        public static let clientID = Column(CodingKeys.clientID)
        public static let publishTopicID = Column(CodingKeys.publishTopicID)
        public static let subscribeTopicID = Column(CodingKeys.subscribeTopicID)
        public static let secretHash = Column(CodingKeys.secretHash)
    }

    public var linkID: OpaqueID
    public var side: Side
    public var agentID: OpaqueID
    /// Opaque; reveals neither the link nor the agent.
    public var username: String
    public var clientID: String
    /// This half publishes to `l/<publishTopicID>` (the peer subscribes to it).
    public var publishTopicID: OpaqueID
    /// This half receives on `l/<subscribeTopicID>` (the peer publishes to it).
    public var subscribeTopicID: OpaqueID
    public var secretHash: SecretHash?

    public init(
        linkID: OpaqueID, side: Side, agentID: OpaqueID, username: String = OpaqueID().description,
        clientID: String = OpaqueID().description, publishTopicID: OpaqueID, subscribeTopicID: OpaqueID,
        secretHash: SecretHash? = nil
    ) {
        self.linkID = linkID
        self.side = side
        self.agentID = agentID
        self.username = username
        self.clientID = clientID
        self.publishTopicID = publishTopicID
        self.subscribeTopicID = subscribeTopicID
        self.secretHash = secretHash
    }

    public var publishTopic: String { ComSatTopic.topic(.linkDirection, publishTopicID) }
    public var subscribeTopic: String { ComSatTopic.topic(.linkDirection, subscribeTopicID) }

    /// The half's grant, or nil while its secret hash is not reported.
    public var grant: Grant? {
        secretHash.map { hash in
            .linkHalf(
                linkID: linkID, side: side.grantSide, username: username, clientID: clientID, secretHash: hash,
                publishTopic: publishTopic, subscribeTopic: subscribeTopic)
        }
    }
}
