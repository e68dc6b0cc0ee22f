public import FogCore

/// A controller operation that failed, with the ids, paths and hosts an operator needs.
///
/// Codes read as facts (`.homeExists`, `.comsatKeyNotPinned`) and can grow without breaking
/// callers. Messages never contain a secret, token, PSK or private key: at most an id, a
/// path, a hash or a public key.
public struct ControllerError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case homeExists, homeMissing, fileMissing, fileUnreadable, fileCorrupt, permissionsTooOpen
            case fileWriteFailed, databaseFailed, invalidURL, invalidName, nameTaken, notFound
            case comsatKeyNotPinned, comsatKeyMismatch, comsatUnreachable, responseTimeout
            case responseInvalid, commandRefused, itemsRefused, sessionClosed, invalidGrant
            case noHealthyComSat, inUse, invalidRequest, commandsUnavailable
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `ControllerHome.initialize(at:)` found something at the path already.
        public static let homeExists = Code(.homeExists)
        /// The home directory does not exist.
        public static let homeMissing = Code(.homeMissing)
        /// A file the home must hold is missing.
        public static let fileMissing = Code(.fileMissing)
        /// A file exists but could not be read (permissions, I/O).
        public static let fileUnreadable = Code(.fileUnreadable)
        /// A file was read but does not hold what it should (wrong size or encoding).
        public static let fileCorrupt = Code(.fileCorrupt)
        /// A key, credential or the home directory is accessible by group or others.
        public static let permissionsTooOpen = Code(.permissionsTooOpen)
        /// Writing a file (or creating a directory) failed.
        public static let fileWriteFailed = Code(.fileWriteFailed)
        /// SQLite or a migration failed.
        public static let databaseFailed = Code(.databaseFailed)
        /// A ComSat URL is not `mqtts://host:port` or `mqtt://host:port`.
        public static let invalidURL = Code(.invalidURL)
        /// A name is empty, too long or has characters outside the allowed set.
        public static let invalidName = Code(.invalidName)
        /// Another row already uses this name.
        public static let nameTaken = Code(.nameTaken)
        /// No row has this id or name.
        public static let notFound = Code(.notFound)
        /// The ComSat's response key is not known yet, so its answers cannot be verified.
        public static let comsatKeyNotPinned = Code(.comsatKeyNotPinned)
        /// A key offered for a ComSat differs from the one already pinned.
        public static let comsatKeyMismatch = Code(.comsatKeyMismatch)
        /// The controller could not connect to (or was refused by) the ComSat.
        public static let comsatUnreachable = Code(.comsatUnreachable)
        /// No valid response with the command's correlation id arrived in time.
        public static let responseTimeout = Code(.responseTimeout)
        /// A response was authentic but not the answer the command needs.
        public static let responseInvalid = Code(.responseInvalid)
        /// The ComSat answered `malformed`, `refused` or `storageFailed`.
        public static let commandRefused = Code(.commandRefused)
        /// Some items of a batched grant command failed; `itemFailures` lists them.
        public static let itemsRefused = Code(.itemsRefused)
        /// The ComSat session was closed.
        public static let sessionClosed = Code(.sessionClosed)
        /// The database holds a row that makes an invalid grant.
        public static let invalidGrant = Code(.invalidGrant)
        /// No ComSat is healthy with a live session, so a new link cannot be placed.
        public static let noHealthyComSat = Code(.noHealthyComSat)
        /// The row is still used by others (a microservice by routes).
        public static let inUse = Code(.inUse)
        /// A request is well-formed but asks for something impossible (bad spec, too many routes).
        public static let invalidRequest = Code(.invalidRequest)
        /// This controller process has no agent command dispatcher (an API-only process).
        public static let commandsUnavailable = Code(.commandsUnavailable)

        public var description: String { value.rawValue }
    }

    /// One refused item of a batched grant command.
    public struct ItemFailure: Sendable, Hashable {
        public var username: String
        public var result: ComSatItemResult

        public init(username: String, result: ComSatItemResult) {
            self.username = username
            self.result = result
        }
    }

    public var code: Code
    public var message: String
    /// The file or directory involved, when there is one.
    public var path: String?
    /// Refused items, for `.itemsRefused`.
    public var itemFailures: [ItemFailure]
    /// A lower-level error's description (SQLite, MQTT, codec), never a secret.
    public var underlying: String?

    public init(
        _ code: Code, _ message: String, path: String? = nil, itemFailures: [ItemFailure] = [], underlying: String? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.itemFailures = itemFailures
        self.underlying = underlying
    }

    public var description: String {
        var text = "ControllerError.\(code): \(message)"
        if let underlying { text += " (\(underlying))" }
        return text
    }
}
