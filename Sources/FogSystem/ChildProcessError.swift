/// A child process that could not be started, signalled or waited for.
///
/// The message names the executable and the operation; `systemError` carries the `errno` (or
/// `posix_spawn` result) for triage. Arguments and environment are never included: they may
/// hold credentials.
public struct ChildProcessError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case spawnFailed, systemCall, timeout
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `posix_spawn` refused to start the executable (missing, not executable, …).
        public static let spawnFailed = Code(.spawnFailed)
        /// A system call needed to set up the child failed.
        public static let systemCall = Code(.systemCall)
        /// A one-shot command outlived its deadline and was killed.
        public static let timeout = Code(.timeout)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// `errno` of the failed call, when there was one.
    public var systemError: Int32?

    public init(_ code: Code, _ message: String, systemError: Int32? = nil) {
        self.code = code
        self.message = message
        self.systemError = systemError
    }

    public var description: String {
        if let systemError {
            return "ChildProcessError.\(code): \(message) (errno \(systemError))"
        }
        return "ChildProcessError.\(code): \(message)"
    }
}
