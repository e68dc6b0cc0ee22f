/// Settings of the `link-setup` scenario.
public struct LinkSetupConfiguration: Sendable {
    /// Links to create, one per agent pair.
    public var links: Int
    /// Simulated agents (real `AgentSession`s); must offer at least `links` distinct pairs.
    public var agents: Int
    /// Route additions in flight at once (the controller applies them one at a time).
    public var concurrency: Int
    /// Path of `libcomsat.so`.
    public var comsatPlugin: String

    public init(links: Int = 1_000, agents: Int = 46, concurrency: Int = 8, comsatPlugin: String) {
        self.links = links
        self.agents = agents
        self.concurrency = concurrency
        self.comsatPlugin = comsatPlugin
    }

    /// Distinct unordered pairs of different agents.
    public var pairCapacity: Int { agents * (agents - 1) / 2 }
}
