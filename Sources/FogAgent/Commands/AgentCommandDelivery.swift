public import FogCore

/// What the agent should do with a command that passed every check.
public enum AgentCommandDelivery: Sendable, Hashable {
    /// The next command in sequence: carry it out, then `markApplied`, persist the receiver's
    /// `lastAppliedSequence`, and acknowledge (`applied` or `failed`).
    case apply(SequencedAgentCommand)
    /// A re-delivery of a number already applied (the controller retried because the
    /// acknowledgement was lost): do not apply it again, acknowledge it as `alreadyApplied`.
    case duplicate(sequence: UInt64)
}
