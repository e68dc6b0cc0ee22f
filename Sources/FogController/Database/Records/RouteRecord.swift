public import FogCore
public import Foundation
public import GRDB

/// A route: what microservice `sourceMicroservice` on `sourceAgentID` publishes reaches
/// `targetMicroservice` on `targetAgentID`, over the link between the two agents.
///
/// Both halves of the link carry the route under the same `channel` (unique per link):
/// outbound from the source's output topic on the source agent's half, inbound into the
/// target's input topic on the other half (`LocalBusTopic`). Deleting the link deletes its
/// routes; a microservice cannot be deleted while a route names it.
public struct RouteRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "route"

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let linkID = Column(CodingKeys.linkID)
        public static let channel = Column(CodingKeys.channel)
        public static let sourceAgentID = Column(CodingKeys.sourceAgentID)
        public static let sourceMicroservice = Column(CodingKeys.sourceMicroservice)
        public static let targetAgentID = Column(CodingKeys.targetAgentID)
        public static let targetMicroservice = Column(CodingKeys.targetMicroservice)
        public static let created = Column(CodingKeys.created)
    }

    public var id: OpaqueID
    public var linkID: OpaqueID
    /// 1...65535; shared by both halves' `LinkRoute`s of this route.
    public var channel: UInt16
    public var sourceAgentID: OpaqueID
    public var sourceMicroservice: String
    public var targetAgentID: OpaqueID
    public var targetMicroservice: String
    public var created: Date

    public init(
        id: OpaqueID = OpaqueID(), linkID: OpaqueID, channel: UInt16, sourceAgentID: OpaqueID, sourceMicroservice: String,
        targetAgentID: OpaqueID, targetMicroservice: String, created: Date = Date()
    ) {
        self.id = id
        self.linkID = linkID
        self.channel = channel
        self.sourceAgentID = sourceAgentID
        self.sourceMicroservice = sourceMicroservice
        self.targetAgentID = targetAgentID
        self.targetMicroservice = targetMicroservice
        self.created = created
    }
}
