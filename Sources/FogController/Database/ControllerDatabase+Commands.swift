public import FogCore
public import Foundation
internal import GRDB

/// The command channel's bookkeeping beyond the outbox itself: which agents wait for
/// deliveries, which agent a reply topic belongs to, and agent presence.
extension ControllerDatabase {
    public func agentsWithPendingCommands() async throws(ControllerError) -> [AgentRecord] {
        try await read("listing agents with queued commands") { db in
            try AgentRecord.fetchAll(
                db,
                sql: """
                    SELECT agent.* FROM agent
                    JOIN (SELECT agentID, MIN(created) AS oldest FROM agentCommand GROUP BY agentID) AS waiting
                      ON waiting.agentID = agent.id
                    ORDER BY waiting.oldest, agent.id
                    """)
        }
    }

    public func agent(replyTopicID: OpaqueID) async throws(ControllerError) -> AgentRecord? {
        try await read("finding the agent of reply topic \(replyTopicID)") { db in
            try AgentRecord.filter(AgentRecord.Columns.replyTopicID == replyTopicID.description).fetchOne(db)
        }
    }

    @discardableResult
    public func setPresence(
        _ presence: AgentRecord.Presence, agentID: OpaqueID, at date: Date
    ) async throws(ControllerError) -> Bool {
        try await write("recording the presence of agent \(agentID)") { db in
            guard var agent = try AgentRecord.fetchOne(db, key: agentID.description) else {
                throw ControllerError(.notFound, "no agent has id \(agentID)")
            }
            guard agent.presence != presence else { return false }
            agent.presence = presence
            agent.presenceChanged = date
            try agent.update(db)
            return true
        }
    }
}
