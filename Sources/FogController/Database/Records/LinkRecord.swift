public import FogCore
public import Foundation
public import GRDB

/// A link between two agents, placed on one ComSat. Its two halves are `LinkHalfRecord`s.
public struct LinkRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "link"

    public enum State: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        /// Created; waiting for both halves to report their secret hashes and be granted.
        case pending
        /// Both halves' grants are installed.
        case up
        /// Its ComSat is unreachable or a grant is missing.
        case down
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let comsatID = Column(CodingKeys.comsatID)
        public static let state = Column(CodingKeys.state)
        public static let created = Column(CodingKeys.created)
    }

    public var id: OpaqueID
    public var comsatID: OpaqueID
    public var state: State
    public var created: Date

    public init(id: OpaqueID = OpaqueID(), comsatID: OpaqueID, state: State = .pending, created: Date = Date()) {
        self.id = id
        self.comsatID = comsatID
        self.state = state
        self.created = created
    }
}
