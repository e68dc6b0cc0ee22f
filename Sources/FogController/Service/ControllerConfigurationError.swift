/// A controller setting that cannot be used, found before anything starts.
///
/// Separate from `ControllerError` because it is about how the process was configured,
/// not about state: every value carries a `hint` saying what to change.
public struct ControllerConfigurationError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case nonLoopbackAddress, invalidPort, invalidValue
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// The admin API was asked to bind an address other than loopback.
        public static let nonLoopbackAddress = Code(.nonLoopbackAddress)
        /// A port outside 0...65535.
        public static let invalidPort = Code(.invalidPort)
        /// Any other setting out of its range.
        public static let invalidValue = Code(.invalidValue)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var hint: String

    public init(_ code: Code, _ message: String, hint: String) {
        self.code = code
        self.message = message
        self.hint = hint
    }

    public var description: String { "ControllerConfigurationError.\(code): \(message) (\(hint))" }
}
