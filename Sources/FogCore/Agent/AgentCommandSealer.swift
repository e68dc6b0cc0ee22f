/// The controller's side of one agent's command channel: turns a numbered command into the
/// envelope to publish on the agent's command topic.
///
/// Signed by the controller, addressed to the agent's id and sealed to its agreement key, so
/// the ComSat relaying it learns nothing (link commands carry pre-shared keys) and no other
/// agent can open or accept it. Stateless: the controller owns the sequence counter, because
/// it must survive restarts in its database.
public struct AgentCommandSealer: Sendable {
    public let agentID: OpaqueID
    public let agentAgreementKey: AgreementPublicKey
    private let sealer: EnvelopeSealer

    public init(
        controllerID: OpaqueID, signingKey: SigningKey, agentID: OpaqueID, agentAgreementKey: AgreementPublicKey
    ) {
        sealer = EnvelopeSealer(senderID: controllerID, signingKey: signingKey)
        self.agentID = agentID
        self.agentAgreementKey = agentAgreementKey
    }

    public var controllerID: OpaqueID { sealer.senderID }

    /// The envelope carrying command number `sequence`. Each call makes a new envelope (fresh
    /// nonce and timestamp): a retry must be re-sealed, since the agent refuses a replayed
    /// envelope and one older than its clock skew.
    /// - Throws: `CodecError` when the command breaks a field limit or `sequence` is 0.
    public func seal(sequence: UInt64, command: AgentCommand, now: Timestamp = .now()) throws(CodecError) -> [UInt8] {
        let body = try SequencedAgentCommand(sequence: sequence, command: command).encoded()
        return sealer.seal(kind: .agentCommand, body: body, recipientID: agentID, sealedTo: agentAgreementKey, now: now)
    }
}
