internal import FogCore
public import Foundation

/// One microservice spec as the admin API shows it, with what its agent last reported.
public struct MicroserviceSummary: Codable, Sendable, Hashable {
    public var agent: String
    public var agentID: String
    public var name: String
    public var executable: String
    public var arguments: [String]
    public var environment: [String: String]
    /// The JSON handed to the process, as deployed.
    public var configuration: String?
    public var created: Date
    /// `starting`, `running`, `backingOff`, `stopped` or `failed` from the agent's last
    /// status since the controller started; nil when none reported it.
    public var state: String?
    public var restarts: UInt32?

    public init(
        agent: String, agentID: String, name: String, executable: String, arguments: [String], environment: [String: String],
        configuration: String?, created: Date, state: String?, restarts: UInt32?
    ) {
        self.agent = agent
        self.agentID = agentID
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.configuration = configuration
        self.created = created
        self.state = state
        self.restarts = restarts
    }

    init(_ record: MicroserviceRecord, agentName: String, reported: AgentStatus.Microservice?) {
        self.init(
            agent: agentName, agentID: record.agentID.description, name: record.name, executable: record.executable,
            arguments: record.arguments, environment: record.environment, configuration: record.configuration,
            created: record.created, state: reported.map { Self.stateName($0.state) }, restarts: reported?.restarts)
    }

    static func stateName(_ state: AgentStatus.Microservice.State) -> String {
        switch state {
        case .starting: "starting"
        case .running: "running"
        case .backingOff: "backingOff"
        case .stopped: "stopped"
        case .failed: "failed"
        }
    }
}
