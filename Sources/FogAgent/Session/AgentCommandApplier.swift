public import FogCore

/// What carries out the controller's commands on this node (the agent runtime: microservice
/// supervisor, link-half processes), as seen by `AgentSession`.
///
/// The session calls `apply` for each command exactly in sequence order, one at a time, and
/// never for a command already applied (duplicates are acknowledged without calling it).
/// A crash between applying and persisting the sequence number makes the controller's retry
/// apply the command again after the restart, so `apply` must be idempotent.
public protocol AgentCommandApplier: Sendable {
    /// Carry out one command (idempotent). Return .applied or .failed(reason:).
    func apply(_ command: AgentCommand) async -> AgentAcknowledgement.Result
    /// Current microservices and link halves for the status message.
    func currentStatus() async -> (microservices: [AgentStatus.Microservice], linkHalves: [AgentStatus.LinkHalf])
}
