public import FogCore

/// Where link and microservice changes hand their agent commands: the controller's
/// `AgentCommandDispatcher`, which keeps each command durable (sealed) in the agent's outbox
/// before `send` returns and delivers it until acknowledged.
///
/// A protocol so the link and microservice services depend only on these two operations.
public protocol AgentCommandSender: Sendable {
    /// Returns once the command is durable; delivery is asynchronous.
    @discardableResult
    func send(_ command: AgentCommand, to agentID: OpaqueID) async throws(ControllerError) -> Int64
    /// The agent's latest verified status since this controller started, nil if none.
    func status(of agentID: OpaqueID) async -> AgentStatus?
}
