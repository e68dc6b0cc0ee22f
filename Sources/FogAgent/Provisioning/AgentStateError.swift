/// Why the agent's state directory could not be read or written.
///
/// Messages name the file and the fault, never its contents (it holds private keys).
public struct AgentStateError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: Sendable, Hashable, CustomStringConvertible {
        /// A file the state needs does not exist (not provisioned yet, or deleted).
        case fileMissing
        /// A file exists but does not decode (truncated, edited, wrong size).
        case fileCorrupt
        /// The directory or a file may be read by group or others; refused rather than used.
        case permissionsTooOpen
        /// A read, write, sync or rename failed (see `systemError`).
        case ioFailed
        /// The directory already holds a provisioned agent; provisioning again would orphan it.
        case alreadyProvisioned

        public var description: String {
            switch self {
            case .fileMissing: "fileMissing"
            case .fileCorrupt: "fileCorrupt"
            case .permissionsTooOpen: "permissionsTooOpen"
            case .ioFailed: "ioFailed"
            case .alreadyProvisioned: "alreadyProvisioned"
            }
        }
    }

    public var code: Code
    public var message: String
    public var path: String
    /// `errno` of the failed call, when there was one.
    public var systemError: Int32?

    public init(code: Code, message: String, path: String, systemError: Int32? = nil) {
        self.code = code
        self.message = message
        self.path = path
        self.systemError = systemError
    }

    public var description: String { "AgentStateError.\(code): \(message) (\(path))" }
}
