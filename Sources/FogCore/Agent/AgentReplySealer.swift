/// The agent's side of its reply channel: signs replies to the controller.
public struct AgentReplySealer: Sendable {
    public let controllerID: OpaqueID
    private let sealer: EnvelopeSealer

    public init(agentID: OpaqueID, signingKey: SigningKey, controllerID: OpaqueID) {
        sealer = EnvelopeSealer(senderID: agentID, signingKey: signingKey)
        self.controllerID = controllerID
    }

    public var agentID: OpaqueID { sealer.senderID }

    /// The envelope to publish on the agent's reply topic; sealed to `sealedTo` when given
    /// (normally nil: see `AgentReply`).
    public func seal(
        _ reply: AgentReply, sealedTo controllerKey: AgreementPublicKey? = nil, now: Timestamp = .now()
    ) throws(CodecError) -> [UInt8] {
        sealer.seal(
            kind: .agentReply, body: try reply.encoded(), recipientID: controllerID, sealedTo: controllerKey, now: now)
    }
}
