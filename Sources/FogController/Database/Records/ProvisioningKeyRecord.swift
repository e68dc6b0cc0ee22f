public import FogCore
public import Foundation
public import GRDB

/// A one-time provisioning key: whoever holds its secret may provision one agent named
/// `agentName`, once, before `expires`.
///
/// Only the secret's hash is kept. The key's id is the holder's MQTT username on
/// `comsatID`, where it may publish its request and read the answer on its own topics.
public struct ProvisioningKeyRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "provisioningKey"

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let agentName = Column(CodingKeys.agentName)
        public static let secretHash = Column(CodingKeys.secretHash)
        public static let clientID = Column(CodingKeys.clientID)
        public static let comsatID = Column(CodingKeys.comsatID)
        public static let requestTopicID = Column(CodingKeys.requestTopicID)
        public static let responseTopicID = Column(CodingKeys.responseTopicID)
        public static let expires = Column(CodingKeys.expires)
        public static let used = Column(CodingKeys.used)
        public static let created = Column(CodingKeys.created)
    }

    public var id: OpaqueID
    public var agentName: String
    public var secretHash: SecretHash
    public var clientID: String
    public var comsatID: OpaqueID
    public var requestTopicID: OpaqueID
    public var responseTopicID: OpaqueID
    public var expires: Date
    /// Set, exactly once, by the request that consumed the key.
    public var used: Bool
    public var created: Date

    public init(
        id: OpaqueID = OpaqueID(), agentName: String, secretHash: SecretHash, clientID: String, comsatID: OpaqueID,
        requestTopicID: OpaqueID = OpaqueID(), responseTopicID: OpaqueID = OpaqueID(), expires: Date,
        used: Bool = false, created: Date = Date()
    ) {
        self.id = id
        self.agentName = agentName
        self.secretHash = secretHash
        self.clientID = clientID
        self.comsatID = comsatID
        self.requestTopicID = requestTopicID
        self.responseTopicID = responseTopicID
        self.expires = expires
        self.used = used
        self.created = created
    }

    /// The grant of the key holder; it expires with the key (whole seconds, rounded up).
    public var grant: Grant {
        .provisioningKey(
            username: id.description, clientID: clientID, secretHash: secretHash,
            requestTopic: ComSatTopic.topic(.provisioningRequest, requestTopicID),
            responseTopic: ComSatTopic.topic(.provisioningResponse, responseTopicID),
            expiry: UInt64(max(expires.timeIntervalSince1970.rounded(.up), 1)))
    }
}
