/// Why the agent could not carry out a command or start its runtime.
///
/// Messages name the microservice or link half and what failed; they become the `failed`
/// reason the controller sees, so they never hold passwords, keys or configuration bytes.
public struct AgentRuntimeError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case invalidSpec, fileIO, bus, unknownLinkHalf, stateCorrupt
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The spec or assignment cannot be run as given (e.g. configuration holding NUL bytes).
        public static let invalidSpec = Code(.invalidSpec)
        /// A file in the state directory could not be read, written or deleted.
        public static let fileIO = Code(.fileIO)
        /// The local bus refused the change or is not running.
        public static let bus = Code(.bus)
        /// `setLinkRoutes` for a half this agent does not run.
        public static let unknownLinkHalf = Code(.unknownLinkHalf)
        /// A stored spec or assignment does not decode.
        public static let stateCorrupt = Code(.stateCorrupt)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    init(_ error: LocalBusError) {
        self.init(.bus, error.description)
    }

    init(_ error: AgentStateError) {
        self.init(.fileIO, error.description)
    }

    public var description: String { "AgentRuntimeError.\(code): \(message)" }
}
