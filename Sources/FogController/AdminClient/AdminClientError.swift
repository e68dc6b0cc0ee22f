/// A `fogctl` request that failed, with a hint saying what to do about it.
///
/// Messages name the controller URL, the file or the server's error code; never the token.
public struct AdminClientError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Value: String, Hashable, Sendable {
            case invalidControllerURL, controllerNotRunning, connectionFailed, tokenUnreadable, localFileFailed
            case unauthorized, notFound, refused, invalidResponse
        }
        private let value: Value
        private init(_ value: Value) { self.value = value }

        /// `--controller` is not `http://HOST:PORT`.
        public static let invalidControllerURL = Code(.invalidControllerURL)
        /// Nothing listens at the controller URL.
        public static let controllerNotRunning = Code(.controllerNotRunning)
        /// The connection failed otherwise (timeout, reset, unknown host).
        public static let connectionFailed = Code(.connectionFailed)
        /// The token file is missing, unreadable or empty.
        public static let tokenUnreadable = Code(.tokenUnreadable)
        /// Another local file (a key to send, an output to write) could not be used.
        public static let localFileFailed = Code(.localFileFailed)
        /// The controller refused the token (401).
        public static let unauthorized = Code(.unauthorized)
        /// The named ComSat (or route) does not exist (404).
        public static let notFound = Code(.notFound)
        /// Any other refusal; `serverCode` says which.
        public static let refused = Code(.refused)
        /// The answer was not the HTTP/JSON the client expects.
        public static let invalidResponse = Code(.invalidResponse)

        public var description: String { value.rawValue }
    }

    public var code: Code
    public var message: String
    public var hint: String?
    /// The HTTP status, when the controller answered.
    public var status: Int?
    /// The `code` of the controller's error body (`nameTaken`, `invalidURL`, …).
    public var serverCode: String?

    public init(_ code: Code, _ message: String, hint: String? = nil, status: Int? = nil, serverCode: String? = nil) {
        self.code = code
        self.message = message
        self.hint = hint
        self.status = status
        self.serverCode = serverCode
    }

    public var description: String {
        var text = "AdminClientError.\(code): \(message)"
        if let hint { text += " (hint: \(hint))" }
        return text
    }
}
