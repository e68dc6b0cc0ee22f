public import FogCore

/// Why the agent refused a message on its command topic.
///
/// Each attack or fault has its own code so the agent can log and count them precisely:
/// a command re-signed by another key is `signatureInvalid`, a replayed envelope `replayed`,
/// one addressed to another agent `wrongRecipient`, one sealed to another agent's key
/// `unsealFailed`. Messages carry ids, sequence numbers and sizes, never command contents.
public struct AgentCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// The envelope or its body could not be decoded (see `envelopeCode`), or is too large.
        case malformed
        /// The envelope is not an agent command.
        case unexpectedKind
        /// Not sent by the pinned controller id.
        case unknownSender
        /// The signature does not verify under the pinned controller key.
        case signatureInvalid
        /// Addressed to another agent, or to nobody.
        case wrongRecipient
        /// Timestamp outside the clock skew (e.g. queued on the ComSat while the agent was off;
        /// the controller resends unacknowledged commands when the agent reports status).
        case stale
        /// This exact envelope was already accepted.
        case replayed
        /// Too many envelopes within the clock skew to remember them all.
        case replayWindowFull
        /// Sealed, but not to this agent's agreement key (or tampered with).
        case unsealFailed
        /// Not sealed: commands may carry pre-shared keys and are always sealed.
        case notSealed
        /// The sequence number skips ahead of the next expected one; not applied. The controller
        /// resends from `lastAppliedSequence + 1` (reported in status).
        case sequenceGap

        public var description: String {
            switch self {
            case .malformed: "malformed"
            case .unexpectedKind: "unexpectedKind"
            case .unknownSender: "unknownSender"
            case .signatureInvalid: "signatureInvalid"
            case .wrongRecipient: "wrongRecipient"
            case .stale: "stale"
            case .replayed: "replayed"
            case .replayWindowFull: "replayWindowFull"
            case .unsealFailed: "unsealFailed"
            case .notSealed: "notSealed"
            case .sequenceGap: "sequenceGap"
            }
        }
    }

    public var code: Code
    public var message: String
    /// The envelope verifier's code, when the envelope was refused.
    public var envelopeCode: EnvelopeError.Code?
    /// The command's sequence number, once the body was decoded.
    public var sequence: UInt64?

    public init(code: Code, message: String, envelopeCode: EnvelopeError.Code? = nil, sequence: UInt64? = nil) {
        self.code = code
        self.message = message
        self.envelopeCode = envelopeCode
        self.sequence = sequence
    }

    init(_ error: EnvelopeError) {
        let code: Code =
            switch error.code {
            case .unknownSender: .unknownSender
            case .signatureInvalid: .signatureInvalid
            case .unexpectedKind: .unexpectedKind
            case .wrongRecipient: .wrongRecipient
            case .stale: .stale
            case .replayed: .replayed
            case .replayWindowFull: .replayWindowFull
            case .unsealFailed: .unsealFailed
            default: .malformed
            }
        self.init(code: code, message: error.message, envelopeCode: error.code)
    }

    public var description: String { "AgentCommandError.\(code): \(message)" }
}
