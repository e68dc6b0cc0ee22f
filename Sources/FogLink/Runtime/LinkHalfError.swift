/// Why a link half cannot start or had to stop.
///
/// Network trouble is never one of these: the half retries the ComSat and the local bus
/// forever. These are conditions an operator (or the agent) must fix: a missing or invalid
/// assignment, unwritable state, a broken queue.
public struct LinkHalfError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case assignmentInvalid, stateUnusable, queueFailed, configurationInvalid
        }
        private let value: Value

        /// `HALF_DIR/assignment` is missing or does not decode.
        public static let assignmentInvalid = Code(value: .assignmentInvalid)
        /// A file of the half's state (secret, CA file, cursor) cannot be read or written.
        public static let stateUnusable = Code(value: .stateUnusable)
        /// The durable queue or receive cursor failed; nothing more can be made durable.
        public static let queueFailed = Code(value: .queueFailed)
        /// A command-line value is unusable (ComSat URL, bus password file).
        public static let configurationInvalid = Code(value: .configurationInvalid)

        public var description: String {
            switch value {
            case .assignmentInvalid: "assignmentInvalid"
            case .stateUnusable: "stateUnusable"
            case .queueFailed: "queueFailed"
            case .configurationInvalid: "configurationInvalid"
            }
        }
    }

    public var code: Code
    /// Names the file, link id or host involved; never a secret or a payload.
    public var message: String
    public var underlying: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        "\(code): \(message)" + (underlying.map { " (\($0))" } ?? "")
    }
}
