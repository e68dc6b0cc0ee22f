/// Body of `GET /v1/agents`: an object rather than a bare array, so fields can be added.
public struct AgentList: Codable, Sendable, Hashable {
    public var agents: [AgentSummary]

    public init(agents: [AgentSummary]) {
        self.agents = agents
    }
}
