/// Body of `POST /v1/microservices` (`fogctl ms deploy`).
public struct MicroserviceDeployRequest: Codable, Sendable, Hashable {
    /// Name of the agent to run it.
    public var agent: String
    public var name: String
    /// Absolute path of the executable on the agent's node.
    public var executable: String
    public var arguments: [String]?
    public var environment: [String: String]?
    /// JSON text handed to the process as `FOG_CONFIG`.
    public var configuration: String?

    public init(
        agent: String, name: String, executable: String, arguments: [String]? = nil, environment: [String: String]? = nil,
        configuration: String? = nil
    ) {
        self.agent = agent
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.configuration = configuration
    }
}
