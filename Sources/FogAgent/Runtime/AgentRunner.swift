public import Logging
internal import ServiceLifecycle

/// `fog-agent run`, as a library call the executable (and tests) use: loads the provisioned
/// state, builds the runtime and the session to the home ComSat, and runs both in a
/// `ServiceGroup` that turns SIGTERM and SIGINT into a graceful shutdown.
///
/// Services shut down in reverse order: the session first (no command is applied while the
/// children stop), then the runtime (children, then the bus). The runtime starts from the
/// persisted state before the session connects, so the node works while the controller or
/// the network is gone.
public enum AgentRunner {
    public static func run(
        stateDirectory: String, configuration: AgentRuntimeConfiguration = .init(),
        sessionConfiguration: AgentSessionConfiguration = .init(), logger: Logger
    ) async throws {
        let state = try AgentState.load(from: stateDirectory)
        let runtime = try AgentRuntime(stateDirectory: stateDirectory, configuration: configuration, logger: logger)
        let session = AgentSession(
            state: state, stateDirectory: stateDirectory, configuration: sessionConfiguration, applier: runtime,
            logger: logger)
        await runtime.setObserver(session)
        logger.info("agent starting", metadata: ["fog.agent.id": "\(state.agentID)", "fog.state": "\(stateDirectory)"])
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: runtime), .init(service: AgentSessionService(session: session, runtime: runtime))],
                gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
