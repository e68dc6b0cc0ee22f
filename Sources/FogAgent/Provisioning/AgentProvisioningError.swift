public import FogCore

/// Why `fog-agent provision` failed, with a hint saying what the operator can do.
///
/// Never contains the token or any secret: at most the key id, the ComSat address, a path.
public struct AgentProvisioningError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let value: String
        private init(_ value: String) { self.value = value }

        /// The token does not parse (typo, truncation, not a provisioning key).
        public static let invalidKey = Code("invalidKey")
        /// The key's expiry has passed (checked locally, or said by the controller).
        public static let keyExpired = Code("keyExpired")
        /// The controller says another agent already used the key.
        public static let keyAlreadyUsed = Code("keyAlreadyUsed")
        /// The controller does not know the key (deleted, or issued by another controller).
        public static let keyUnknown = Code("keyUnknown")
        /// The controller could not verify the request.
        public static let requestRefused = Code("requestRefused")
        /// The ComSat refused the key's credentials: expired, used, revoked or mistyped.
        public static let keyRefusedByComSat = Code("keyRefusedByComSat")
        /// The `--comsat` address is not `mqtts://HOST:PORT`.
        public static let invalidURL = Code("invalidURL")
        /// The CA file is missing or unreadable, or the ComSat's certificate does not verify.
        public static let certificateAuthority = Code("certificateAuthority")
        /// The ComSat could not be reached.
        public static let comsatUnreachable = Code("comsatUnreachable")
        /// No answer arrived in time (controller not running or not connected to this ComSat).
        public static let noAnswer = Code("noAnswer")
        /// An answer failed verification (wrong controller key, bad signature, stale, …).
        public static let untrustedResponse = Code("untrustedResponse")
        /// The state directory could not be prepared or written (see `stateError`).
        public static let stateFailed = Code("stateFailed")

        public var description: String { value }
    }

    public var code: Code
    public var message: String
    /// What to do about it, for the command line.
    public var hint: String
    public var keyID: OpaqueID?
    /// Set for `.stateFailed`.
    public var stateError: AgentStateError?

    public init(
        _ code: Code, _ message: String, hint: String, keyID: OpaqueID? = nil, stateError: AgentStateError? = nil
    ) {
        self.code = code
        self.message = message
        self.hint = hint
        self.keyID = keyID
        self.stateError = stateError
    }

    public var description: String { "AgentProvisioningError.\(code): \(message)" }
}
