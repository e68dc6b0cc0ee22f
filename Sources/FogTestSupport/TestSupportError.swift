/// A failure of the test harness itself: a process that would not start, a broker that
/// would not listen, a condition that never came true.
///
/// The message names what was being done (the executable, the port, the awaited condition)
/// and, for a broker that died, carries its log so the failing test shows why.
public struct TestSupportError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String {
            case spawnFailed, systemCall, timeout, brokerFailed, certificate, fileIO, commandFailed
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `posix_spawn` refused to start the executable.
        public static let spawnFailed = Code(.spawnFailed)
        /// A system call failed; `errno` is in the error.
        public static let systemCall = Code(.systemCall)
        /// A condition or process did not reach the awaited state before its deadline.
        public static let timeout = Code(.timeout)
        /// Mosquitto exited or never accepted connections; the message holds its log.
        public static let brokerFailed = Code(.brokerFailed)
        /// Building or writing a test certificate failed.
        public static let certificate = Code(.certificate)
        /// Reading or writing a harness file failed.
        public static let fileIO = Code(.fileIO)
        /// A helper command (e.g. `ip`, `nft`) exited unsuccessfully; the message has its output.
        public static let commandFailed = Code(.commandFailed)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    /// `errno` of the failed system call, when there was one.
    public var errno: Int32?

    public init(_ code: Code, _ message: String, errno: Int32? = nil) {
        self.code = code
        self.message = message
        self.errno = errno
    }

    public var description: String {
        if let errno {
            return "TestSupportError.\(code): \(message) (errno \(errno))"
        }
        return "TestSupportError.\(code): \(message)"
    }
}
