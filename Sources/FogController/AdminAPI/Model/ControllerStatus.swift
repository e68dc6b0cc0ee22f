public import Foundation

/// Body of `GET /v1/status`: who the controller is and how its ComSats are doing.
public struct ControllerStatus: Codable, Sendable, Hashable {
    /// ComSat counts by last recorded health, plus live sessions.
    public struct ComSatCounts: Codable, Sendable, Hashable {
        public var total: Int
        public var connected: Int
        public var healthy: Int
        public var unreachable: Int
        public var unknown: Int

        public init(total: Int, connected: Int, healthy: Int, unreachable: Int, unknown: Int) {
            self.total = total
            self.connected = connected
            self.healthy = healthy
            self.unreachable = unreachable
            self.unknown = unknown
        }
    }

    public var controllerID: String
    /// Public keys only; ComSats pin the signing key, agents both.
    public var signingPublicKey: String
    public var agreementPublicKey: String
    public var version: String
    public var startedAt: Date
    public var comsats: ComSatCounts

    public init(
        controllerID: String, signingPublicKey: String, agreementPublicKey: String, version: String, startedAt: Date,
        comsats: ComSatCounts
    ) {
        self.controllerID = controllerID
        self.signingPublicKey = signingPublicKey
        self.agreementPublicKey = agreementPublicKey
        self.version = version
        self.startedAt = startedAt
        self.comsats = comsats
    }
}
