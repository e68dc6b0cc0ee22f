/// What a client needs to log in to the local bus.
public struct LocalBusCredentials: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    /// A 256-bit random secret (base64url); the bus stores only its PBKDF2 hash.
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var description: String { "LocalBusCredentials(\(username), password redacted)" }
}
