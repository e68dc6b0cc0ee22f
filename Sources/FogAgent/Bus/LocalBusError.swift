/// Why the agent's local bus could not be configured, started or changed.
public struct LocalBusError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case mosquittoMissing, templateMissing, startFailed, fileIO, invalidTopic
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// No `mosquitto` executable was found.
        public static let mosquittoMissing = Code(.mosquittoMissing)
        /// The configuration template (`broker-config/local-bus.conf`) was not found.
        public static let templateMissing = Code(.templateMissing)
        /// Mosquitto exited or did not report itself running in time; the message holds its log tail.
        public static let startFailed = Code(.startFailed)
        /// A bus file (config, password file, ACL, user list) could not be read or written.
        public static let fileIO = Code(.fileIO)
        /// A topic cannot be expressed in an ACL file line (control characters, surrounding
        /// spaces, wildcards).
        public static let invalidTopic = Code(.invalidTopic)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var path: String?

    public init(_ code: Code, _ message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }

    public var description: String {
        "LocalBusError.\(code): \(message)" + (path.map { " (\($0))" } ?? "")
    }
}
