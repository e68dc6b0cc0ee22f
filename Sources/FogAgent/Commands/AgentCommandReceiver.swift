public import FogCore

/// The agent's side of its command channel: verifies, unseals and orders the controller's
/// commands, and tells the agent which to apply.
///
/// Checks, in order: the envelope (size, decoding, sender is the pinned controller id,
/// signature under the pinned key, kind, addressed to this agent, timestamp within the clock
/// skew, nonce not seen before, unsealed with this agent's key), that it was sealed, the
/// body's decoding, then the sequence number against `lastAppliedSequence`:
///
/// - `last + 1`: `.apply`. The agent carries it out and calls `markApplied`.
/// - `≤ last`: `.duplicate`: re-acknowledge, never apply twice.
/// - `> last + 1`: `.sequenceGap` error, nothing applied. The controller sends in order and
///   retries each command until acknowledged, so a gap means an earlier command was lost
///   (e.g. queued past its clock skew); the controller resends from `last + 1`, which the
///   agent reports in every status message. Applying out of order instead would turn the
///   missed command into a "duplicate" that is never applied.
///
/// `lastAppliedSequence` is the state to persist (no file I/O here): restore it on start so
/// commands applied before a restart are recognised as duplicates. Persisting it after the
/// command's effects means a crash in between re-applies the command, which is harmless
/// because commands are idempotent. A value type for one task or actor.
public struct AgentCommandReceiver: Sendable {
    public let agentID: OpaqueID
    public let controllerID: OpaqueID
    /// Highest sequence number applied; 0 before the first command.
    public private(set) var lastAppliedSequence: UInt64
    private var verifier: EnvelopeVerifier

    /// - Parameters:
    ///   - controllerID, controllerSigningKey: pinned at provisioning.
    ///   - agentID, agreementKey: this agent's id and private agreement key.
    ///   - lastAppliedSequence: the persisted value, 0 for a new agent.
    ///   - clockSkew: accepted timestamp difference, and how long envelope nonces are remembered.
    public init(
        controllerID: OpaqueID, controllerSigningKey: SigningPublicKey, agentID: OpaqueID,
        agreementKey: AgreementKey, lastAppliedSequence: UInt64 = 0, clockSkew: Duration = .seconds(120),
        replayCapacity: Int = 10_000
    ) {
        self.agentID = agentID
        self.controllerID = controllerID
        self.lastAppliedSequence = lastAppliedSequence
        verifier = EnvelopeVerifier(
            trustedSenders: [controllerID: controllerSigningKey], localID: agentID, agreementKey: agreementKey,
            maximumSize: Envelope.defaultMaximumSize, clockSkew: clockSkew, replayCapacity: replayCapacity,
            requiresRecipient: true, acceptedKinds: [.agentCommand])
    }

    /// Verifies a message received on the command topic and says what to do with it.
    public mutating func receive(_ bytes: [UInt8], now: Timestamp = .now()) throws(AgentCommandError)
        -> AgentCommandDelivery
    {
        let opened: OpenedEnvelope
        do {
            opened = try verifier.open(bytes, now: now)
        } catch {
            throw AgentCommandError(error)
        }
        guard opened.isSealed else {
            throw AgentCommandError(
                code: .notSealed, message: "command envelope from \(opened.sender) to \(agentID) is not sealed")
        }
        let command: SequencedAgentCommand
        do {
            command = try SequencedAgentCommand(decoding: opened.body)
        } catch {
            throw AgentCommandError(code: .malformed, message: "command body from \(opened.sender): \(error)")
        }
        let next = lastAppliedSequence &+ 1
        if command.sequence < next {
            return .duplicate(sequence: command.sequence)
        }
        guard command.sequence == next else {
            throw AgentCommandError(
                code: .sequenceGap,
                message: "command \(command.sequence) for \(agentID) skips ahead; expected \(next) "
                    + "(last applied \(lastAppliedSequence))",
                sequence: command.sequence)
        }
        return .apply(command)
    }

    /// Records that command `sequence`, returned by `receive` as `.apply`, was carried out (or
    /// failed for good). Persist `lastAppliedSequence` afterwards, then acknowledge.
    /// - Precondition: `sequence == lastAppliedSequence + 1`.
    public mutating func markApplied(_ sequence: UInt64) {
        precondition(
            sequence == lastAppliedSequence &+ 1,
            "markApplied(\(sequence)) out of order; last applied is \(lastAppliedSequence)")
        lastAppliedSequence = sequence
    }
}
