internal import FogCore

/// The session applies the controller's commands through the runtime...
extension AgentRuntime: AgentCommandApplier {}

/// ...and the runtime reports link secrets and state changes through the session.
extension AgentSession: AgentRuntimeObserver {}
