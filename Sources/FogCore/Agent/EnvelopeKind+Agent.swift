/// Envelope kinds `0x28`–`0x2F` belong to the controller–agent command protocol
/// (docs/PROTOCOL.md, "Agent commands"). Provisioning owns `0x20`–`0x27`.
extension EnvelopeKind {
    /// A `SequencedAgentCommand` from the controller, sealed to the agent, on `c/<level>`.
    public static let agentCommand: EnvelopeKind = 0x28
    /// An `AgentReply` from the agent to the controller, on `r/<level>`.
    public static let agentReply: EnvelopeKind = 0x29
}
