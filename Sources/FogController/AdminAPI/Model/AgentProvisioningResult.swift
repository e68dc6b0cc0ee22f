public import Foundation

/// Answer to `POST /v1/agents`. The token is the key's only copy: the controller keeps
/// its hash, so it is shown once and cannot be fetched again.
public struct AgentProvisioningResult: Codable, Sendable, Hashable {
    /// The agent name the key provisions.
    public var name: String
    /// `fogkey1.…`, for `fog-agent provision --key`.
    public var token: String
    /// The key's id (its principal's username on the ComSat); not a secret.
    public var keyID: String
    public var expiresAt: Date
    /// The agent's home ComSat, whose URL and CA file the agent provisions through.
    public var comsat: ComSatSummary

    public init(name: String, token: String, keyID: String, expiresAt: Date, comsat: ComSatSummary) {
        self.name = name
        self.token = token
        self.keyID = keyID
        self.expiresAt = expiresAt
        self.comsat = comsat
    }
}
