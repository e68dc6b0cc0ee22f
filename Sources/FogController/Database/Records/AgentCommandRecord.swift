public import FogCore
public import Foundation
public import GRDB

/// One command in an agent's outbox, kept until the agent acknowledges it.
///
/// `sealed` is the `SequencedAgentCommand` encrypted at rest under a key only the controller
/// holds (`AgentCommandVault`), so the outbox holds no plaintext (a link's PSK inside a
/// command is unreadable here). It is not the wire envelope: each (re)send is sealed to the
/// agent anew, because the agent refuses replayed and stale envelopes. An acknowledged
/// command is deleted at once rather than flagged: its bytes are useless afterwards, and the
/// agent row's `lastAckedSequence` records the progress.
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
