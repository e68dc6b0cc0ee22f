/// Settings of the `link-setup` scenario.
public struct LinkSetupConfiguration: Sendable {
    /// Links to create, one per agent pair, then remove.
    public var links: Int
    /// Simulated agents (real `AgentSession`s); must offer at least `links` distinct pairs.
    public var agents: Int
    /// Admin calls (route additions, then removals) in flight at once (the controller
    /// applies them one at a time); also the first-message probes in flight on the bare
    /// broker.
    public var concurrency: Int
    /// Path of `libcomsat.so`.
    public var comsatPlugin: String
    /// The whole scenario fails with `BenchError.timeLimit` after this long.
    public var timeLimit: Duration
    /// How often a removed link's old credentials are tried until the ComSat refuses them.
    public var refusalPollInterval: Duration

    public init(
        links: Int = 1_000, agents: Int = 46, concurrency: Int = 8, comsatPlugin: String, timeLimit: Duration = .seconds(300),
        refusalPollInterval: Duration = .milliseconds(10)
    ) {
        self.links = links
        self.agents = agents
        self.concurrency = concurrency
        self.comsatPlugin = comsatPlugin
        self.timeLimit = timeLimit
        self.refusalPollInterval = refusalPollInterval
    }

    /// Distinct unordered pairs of different agents.
    public var pairCapacity: Int { agents * (agents - 1) / 2 }
}
