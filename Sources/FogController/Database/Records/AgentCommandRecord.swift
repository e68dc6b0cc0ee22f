public import FogCore
public import Foundation
public import GRDB

/// One command in an agent's outbox: sealed to the agent, kept until it acknowledges.
///
/// `sealed` is the signed envelope sealed to the agent's X25519 key, so the outbox holds
/// no plaintext (a link's PSK inside a command is unreadable here). An acknowledged command
/// is deleted at once rather than flagged: its bytes are useless afterwards, and the agent
/// row's `lastAckedSequence` records the progress.
public struct AgentCommandRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "agentCommand"

    public enum Columns {
        public static let agentID = Column(CodingKeys.agentID)
        public static let sequence = Column(CodingKeys.sequence)
        public static let sealed = Column(CodingKeys.sealed)
        public static let created = Column(CodingKeys.created)
    }

    public var agentID: OpaqueID
    /// Per-agent, strictly increasing from 1.
    public var sequence: Int64
    public var sealed: Data
    public var created: Date

    public init(agentID: OpaqueID, sequence: Int64, sealed: Data, created: Date = Date()) {
        self.agentID = agentID
        self.sequence = sequence
        self.sealed = sealed
        self.created = created
    }
}
