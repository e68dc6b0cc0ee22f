/// A failure to read or write the plugin's files (grant journal, identity key).
///
/// Messages name the file and the operation, and give errno's text or the byte offset of a
/// bad record, so the broker's log says exactly what to inspect. They never contain record
/// contents.
struct StorageError: Error, Sendable, CustomStringConvertible {
    struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: Hashable, Sendable {
            case io, corrupt, locked, invalidContent
        }
        private let value: Value

        /// A system call failed.
        static let io = Code(value: .io)
        /// The grant journal is damaged before its last committed batch.
        static let corrupt = Code(value: .corrupt)
        /// Another process holds the grant journal (two brokers on one store).
        static let locked = Code(value: .locked)
        /// A file exists but is not what it should be (wrong magic, wrong size).
        static let invalidContent = Code(value: .invalidContent)

        var description: String {
            switch value {
            case .io: "io"
            case .corrupt: "corrupt"
            case .locked: "locked"
            case .invalidContent: "invalidContent"
            }
        }
    }

    var code: Code
    var path: String
    var message: String

    var description: String { "\(path): \(message)" }
}
