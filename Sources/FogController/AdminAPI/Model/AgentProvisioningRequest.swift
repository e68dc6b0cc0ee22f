/// Body of `POST /v1/agents`: issue a one-time provisioning key for a new agent.
public struct AgentProvisioningRequest: Codable, Sendable, Hashable {
    /// The agent's name (1...64 characters of [A-Za-z0-9._-]).
    public var name: String
    /// Name of the agent's home ComSat; may be left out when exactly one is enrolled.
    public var comsat: String?
    /// How long the key stays usable; nil uses the default (20 minutes).
    public var lifetimeSeconds: Int?

    public init(name: String, comsat: String? = nil, lifetimeSeconds: Int? = nil) {
        self.name = name
        self.comsat = comsat
        self.lifetimeSeconds = lifetimeSeconds
    }
}
