/// A failure of the link's durable queue or receive cursor.
///
/// Messages name the file or directory and the operation, give errno's text or the byte
/// offset of a bad record, and say what the operator can do. They never contain record
/// contents (records are application payloads).
public struct DiskQueueError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case io, corrupt, full, locked, invalidContent, invalidArgument, closed
        }
        private let value: Value

        /// A system call failed.
        public static let io = Code(value: .io)
        /// A record before the end of the queue fails its checksum or framing: data that was
        /// acknowledged as durable is unreadable, so the queue refuses to open.
        public static let corrupt = Code(value: .corrupt)
        /// The queue holds `maximumBytes` and its policy is to refuse new records.
        public static let full = Code(value: .full)
        /// Another process (or another open queue) holds the directory.
        public static let locked = Code(value: .locked)
        /// A file exists but is not what it should be (wrong magic, wrong size, bad name).
        public static let invalidContent = Code(value: .invalidContent)
        /// The caller asked for something impossible (an empty batch, a record over the
        /// limit, an acknowledgement beyond the last appended sequence).
        public static let invalidArgument = Code(value: .invalidArgument)
        /// The queue was closed or destroyed, or an earlier write failed and it stopped
        /// writing so the files keep their last durable state.
        public static let closed = Code(value: .closed)

        public var description: String {
            switch value {
            case .io: "io"
            case .corrupt: "corrupt"
            case .full: "full"
            case .locked: "locked"
            case .invalidContent: "invalidContent"
            case .invalidArgument: "invalidArgument"
            case .closed: "closed"
            }
        }
    }

    public var code: Code
    /// The file or directory involved.
    public var path: String
    public var message: String

    public init(code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
