public import FogCore
public import Foundation
public import GRDB

/// A provisioned agent: its public keys, the hash of the MQTT secret it chose, its home
/// ComSat and its command channel state.
public struct AgentRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "agent"

    /// Whether the agent is connected, from its status messages and MQTT will.
    public enum Presence: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        case unknown, online, offline
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let signingKey = Column(CodingKeys.signingKey)
        public static let agreementKey = Column(CodingKeys.agreementKey)
        public static let secretHash = Column(CodingKeys.secretHash)
        public static let clientID = Column(CodingKeys.clientID)
        public static let homeComSatID = Column(CodingKeys.homeComSatID)
        public static let commandTopicID = Column(CodingKeys.commandTopicID)
        public static let replyTopicID = Column(CodingKeys.replyTopicID)
        public static let nextCommandSequence = Column(CodingKeys.nextCommandSequence)
        public static let lastAckedSequence = Column(CodingKeys.lastAckedSequence)
        public static let presence = Column(CodingKeys.presence)
        public static let presenceChanged = Column(CodingKeys.presenceChanged)
        public static let created = Column(CodingKeys.created)
    }

    /// Also the agent's MQTT username on its home ComSat.
    public var id: OpaqueID
    public var name: String
    /// Verifies the agent's replies and status messages.
    public var signingKey: SigningPublicKey
    /// Commands to the agent are sealed to this key.
    public var agreementKey: AgreementPublicKey
    /// SHA-256 of the MQTT secret the agent generated; the secret never leaves the agent.
    public var secretHash: SecretHash
    public var clientID: String
    public var homeComSatID: OpaqueID
    /// The agent subscribes to `c/<commandTopicID>`.
    public var commandTopicID: OpaqueID
    /// The agent publishes replies and status to `r/<replyTopicID>`.
    public var replyTopicID: OpaqueID
    /// Sequence number the next command to this agent gets.
    public var nextCommandSequence: Int64
    /// Highest sequence number the agent acknowledged (0 = none).
    public var lastAckedSequence: Int64
    public var presence: Presence
    public var presenceChanged: Date?
    public var created: Date

    public init(
        id: OpaqueID = OpaqueID(), name: String, signingKey: SigningPublicKey, agreementKey: AgreementPublicKey,
        secretHash: SecretHash, clientID: String, homeComSatID: OpaqueID, commandTopicID: OpaqueID = OpaqueID(),
        replyTopicID: OpaqueID = OpaqueID(), nextCommandSequence: Int64 = 1, lastAckedSequence: Int64 = 0,
        presence: Presence = .unknown, presenceChanged: Date? = nil, created: Date = Date()
    ) {
        self.id = id
        self.name = name
        self.signingKey = signingKey
        self.agreementKey = agreementKey
        self.secretHash = secretHash
        self.clientID = clientID
        self.homeComSatID = homeComSatID
        self.commandTopicID = commandTopicID
        self.replyTopicID = replyTopicID
        self.nextCommandSequence = nextCommandSequence
        self.lastAckedSequence = lastAckedSequence
        self.presence = presence
        self.presenceChanged = presenceChanged
        self.created = created
    }

    public var commandTopic: String { ComSatTopic.topic(.agentCommand, commandTopicID) }
    public var replyTopic: String { ComSatTopic.topic(.agentReply, replyTopicID) }

    /// The grant that lets the agent use its command channel on its home ComSat.
    public var grant: Grant {
        .agent(
            username: id.description, clientID: clientID, secretHash: secretHash, commandTopic: commandTopic,
            replyTopic: replyTopic)
    }
}
