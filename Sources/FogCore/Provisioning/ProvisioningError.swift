/// Why a provisioning request or response was refused by its receiver, or could not be built.
///
/// Messages name ids, sizes and ages, never secrets or body bytes. `keyID` and `requestNonce`
/// are taken from the (possibly unauthenticated) envelope header when it could be decoded, so
/// a controller can still address a `malformed` refusal to the sender.
public struct ProvisioningError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// The envelope or its body could not be decoded (see `envelopeCode` for envelope faults).
        case malformed
        /// The envelope is of another kind than the one expected on this topic.
        case unexpectedKind
        /// The signature does not verify under the key it must be made with.
        case signatureInvalid
        /// The response's controller key does not match the fingerprint in the provisioning key:
        /// someone other than the controller that issued the key answered.
        case controllerKeyMismatch
        /// The response is sealed, but not to this agent's key: it answers another request
        /// (e.g. another agent racing for the same key) or was tampered with.
        case unsealFailed
        /// An acceptance arrived unsealed; acceptances are always sealed to the agent.
        case notSealed
        /// The envelope is addressed to another principal, or to none where one is required.
        case wrongRecipient
        /// The timestamp is outside the allowed clock skew.
        case stale
        /// A valid response that answers a different request nonce than this agent's.
        case answersAnotherRequest
        /// The provisioning key expired before the request was built.
        case keyExpired
        /// A message to be sent breaks a field limit (name too long, bad topic, …).
        case invalidMessage

        public var description: String {
            switch self {
            case .malformed: "malformed"
            case .unexpectedKind: "unexpectedKind"
            case .signatureInvalid: "signatureInvalid"
            case .controllerKeyMismatch: "controllerKeyMismatch"
            case .unsealFailed: "unsealFailed"
            case .notSealed: "notSealed"
            case .wrongRecipient: "wrongRecipient"
            case .stale: "stale"
            case .answersAnotherRequest: "answersAnotherRequest"
            case .keyExpired: "keyExpired"
            case .invalidMessage: "invalidMessage"
            }
        }
    }

    public var code: Code
    public var message: String
    /// The envelope decoder's code when the envelope itself was malformed.
    public var envelopeCode: EnvelopeError.Code?
    /// The provisioning key id the message claims (sender of a request, recipient of a response).
    public var keyID: OpaqueID?
    /// The request nonce concerned, when known.
    public var requestNonce: EnvelopeNonce?

    public init(
        code: Code, message: String, envelopeCode: EnvelopeError.Code? = nil, keyID: OpaqueID? = nil,
        requestNonce: EnvelopeNonce? = nil
    ) {
        self.code = code
        self.message = message
        self.envelopeCode = envelopeCode
        self.keyID = keyID
        self.requestNonce = requestNonce
    }

    public var description: String { "ProvisioningError.\(code): \(message)" }
}
