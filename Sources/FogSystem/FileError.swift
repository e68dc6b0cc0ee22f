internal import Glibc

/// Why a file operation of `PrivateFile` or `PositionalFile` failed: the path, what was being
/// done, and `errno`.
public struct FileError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable {
        case missing, exists, wrongKind, permissionsTooOpen, tooLarge, ioFailed
        /// Another process holds the file's exclusive lock.
        case locked
    }

    public var code: Code
    /// What is wrong, without the path (e.g. "cannot sync", "is not a directory").
    public var message: String
    public var path: String
    public var systemError: Int32?
    /// The offending permission bits, for `.permissionsTooOpen`.
    public var mode: UInt32?

    public init(_ code: Code, _ message: String, _ path: String, errno: Int32? = nil, mode: UInt32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.systemError = errno
        self.mode = mode
    }

    /// The message with the system's explanation appended, when there is one.
    public var detail: String {
        guard let systemError else { return message }
        return message + ": " + String(cString: strerror(systemError))
    }

    public var description: String { "FileError.\(code): \(path) \(detail)" }
}
