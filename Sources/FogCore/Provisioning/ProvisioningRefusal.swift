/// The controller's typed "no" to a provisioning request.
///
/// Signed like every response, so an agent can trust the reason; sealed to the agent when the
/// request carried a usable agreement key, plain otherwise (a malformed request may not).
public struct ProvisioningRefusal: Sendable, Hashable, CustomStringConvertible {
    /// Why; the raw value is the wire byte.
    public enum Reason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// The key's expiry passed before the controller received the request.
        case expired = 1
        /// Another request already consumed this single-use key.
        case alreadyUsed = 2
        /// The controller has no such key (deleted, or never issued).
        case unknownKey = 3
        /// The request could not be decoded or verified.
        case malformed = 4

        public var description: String {
            switch self {
            case .expired: "expired"
            case .alreadyUsed: "alreadyUsed"
            case .unknownKey: "unknownKey"
            case .malformed: "malformed"
            }
        }
    }

    public static let maximumDetailLength = 512

    public var reason: Reason
    /// Short human-readable context (which field was malformed, …); may be empty.
    public var detail: String

    public init(reason: Reason, detail: String = "") {
        self.reason = reason
        self.detail = detail
    }

    public var description: String {
        detail.isEmpty ? "refused (\(reason))" : "refused (\(reason)): \(detail)"
    }
}
