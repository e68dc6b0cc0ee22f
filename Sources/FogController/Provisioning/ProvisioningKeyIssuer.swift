public import FogCore
public import Foundation
public import Logging

/// Creates one-time provisioning keys (`fogctl agent add NAME`).
///
/// The key's secret exists only in the returned token: the store gets its hash, the ComSat
/// gets a grant with that hash. The grant is installed before the token is returned, so the
/// operator never holds a key the ComSat would refuse. Expiry is whole seconds, so the
/// grant (whose expiry is in seconds) ends exactly when the key does.
public struct ProvisioningKeyIssuer: Sendable {
    /// Default lifetime of a key.
    public static let defaultLifetime: Duration = .seconds(20 * 60)

    private let home: ControllerHome
    private let store: any ControllerStore
    private let fleet: ComSatFleet
    private let logger: Logger
    private let now: @Sendable () -> Date

    public init(
        home: ControllerHome, store: any ControllerStore, fleet: ComSatFleet, logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.home = home
        self.store = store
        self.fleet = fleet
        self.logger = logger
        self.now = now
    }

    /// Checks that `agentName` can name an agent.
    /// - Throws: `.invalidName` saying what a name may be.
    public static func checkName(_ agentName: String) throws(ControllerError) {
        guard (1...ProvisioningRequest.maximumNameLength).contains(agentName.utf8.count),
            Grant.isValidIdentifier(agentName.utf8)
        else {
            throw ControllerError(
                .invalidName,
                "agent name '\(agentName)' must be 1...\(ProvisioningRequest.maximumNameLength) characters of [A-Za-z0-9._-]")
        }
    }

    /// Issues a key for an agent to be called `agentName`, homed on `comsatID`.
    ///
    /// - Returns: the key; its `token` is shown to the operator once and never stored.
    /// - Throws: `.invalidName`, `.notFound` (no such ComSat), `.comsatUnreachable` or
    ///   `.itemsRefused` when the grant could not be installed (the row is then deleted).
    public func issue(
        agentName: String, comsatID: OpaqueID, lifetime: Duration = defaultLifetime
    ) async throws(ControllerError) -> ProvisioningKey {
        try Self.checkName(agentName)
        guard lifetime >= .seconds(1) else {
            throw ControllerError(.invalidName, "a provisioning key must live at least one second, not \(lifetime)")
        }
        guard try await store.comsat(id: comsatID) != nil else {
            throw ControllerError(.notFound, "no ComSat has id \(comsatID)")
        }
        let issued = now()
        let expirySeconds = UInt64(issued.timeIntervalSince1970.rounded(.down)) + UInt64(lifetime.components.seconds)
        let key = ProvisioningKey(
            expiry: Timestamp(millisecondsSinceEpoch: expirySeconds * 1_000), controllerKey: home.signingKey.publicKey)
        let record = ProvisioningKeyRecord(
            id: key.id, agentName: agentName, secretHash: key.secret.hash, clientID: key.username, comsatID: comsatID,
            requestTopicID: key.id, responseTopicID: key.id,
            expires: Date(timeIntervalSince1970: TimeInterval(expirySeconds)), created: issued)
        try await store.insertProvisioningKey(record)
        do {
            try await fleet.install([key.grant], on: comsatID)
        } catch {
            _ = try? await store.deleteProvisioningKey(id: key.id)
            throw error
        }
        logger.notice(
            "audit: provisioning key issued",
            metadata: [
                "fog.provisioning_key.id": "\(key.id)", "fog.comsat.id": "\(comsatID)",
                "fog.provisioning_key.expires": "\(expirySeconds)",
            ])
        return key
    }
}
