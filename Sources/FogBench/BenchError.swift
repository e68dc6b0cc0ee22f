/// Why a benchmark scenario could not produce a result.
public struct BenchError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// A required file or program is missing (plugin, mosquitto_ctrl).
        public static let missingPrerequisite = Code("missingPrerequisite")
        /// The broker answered a control command with an error.
        public static let controlRejected = Code("controlRejected")
        /// The broker did not answer a control command in time.
        public static let controlTimeout = Code("controlTimeout")
        public static let systemCall = Code("systemCall")
        public static let invalidArgument = Code("invalidArgument")
        /// The scenario ran past its time limit.
        public static let timeLimit = Code("timeLimit")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "BenchError.\(code): \(message)" }
}
