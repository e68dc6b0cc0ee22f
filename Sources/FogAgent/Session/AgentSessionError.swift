/// Why the agent's session to its home ComSat stopped. Network trouble is never one of
/// these (it is retried); these are faults no retry can fix.
///
/// Messages name files, URLs and sequence numbers, never keys or command contents.
public struct AgentSessionError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// The state names a ComSat URL the agent cannot use.
        case invalidComSatURL
        /// The home ComSat uses TLS but the state directory has no CA certificate for it.
        case certificateMissing
        /// The last applied sequence number could not be read or persisted. Acknowledging
        /// without persisting could make a restarted agent apply a command twice, so the
        /// session stops instead (see `stateError`).
        case sequenceNotPersisted

        public var description: String {
            switch self {
            case .invalidComSatURL: "invalidComSatURL"
            case .certificateMissing: "certificateMissing"
            case .sequenceNotPersisted: "sequenceNotPersisted"
            }
        }
    }

    public var code: Code
    public var message: String
    /// The state file failure behind `.sequenceNotPersisted`.
    public var stateError: AgentStateError?

    public init(code: Code, message: String, stateError: AgentStateError? = nil) {
        self.code = code
        self.message = message
        self.stateError = stateError
    }

    public var description: String {
        "AgentSessionError.\(code): \(message)" + (stateError.map { " (\($0))" } ?? "")
    }
}
