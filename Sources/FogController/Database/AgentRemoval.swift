/// What `ControllerStore.decommissionAgent` deleted: the agent and every link it had a half
/// of. Not to be persisted (it names the principals to revoke).
public struct AgentRemoval: Sendable, Hashable {
    public var agent: AgentRecord
    public var links: [LinkRemoval]

    public init(agent: AgentRecord, links: [LinkRemoval]) {
        self.agent = agent
        self.links = links
    }

    /// The agent's own principal and every removed half's.
    public var principals: [RevokedPrincipal] {
        [RevokedPrincipal(comsatID: agent.homeComSatID, username: agent.id.description, clientID: agent.clientID)]
            + links.flatMap(\.principals)
    }
}
