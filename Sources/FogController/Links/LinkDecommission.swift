/// What a decommission (`route rm`, `link rm`, `agent rm`) did, as the admin API answers it.
///
/// The rows are deleted before anything else happens, so a failure after that (a ComSat
/// down, an outbox write failing) is not an error but a warning: the ComSat drops the grants
/// at its next synchronisation because the store no longer lists them.
public struct LinkDecommission: Codable, Sendable, Hashable {
    /// What was removed, e.g. `route sensor-1/temp -> gateway/store`.
    public var removed: String
    /// Ids of the links deleted.
    public var linksRemoved: [String]
    /// Principals whose grants were revoked on a ComSat (agent and link halves).
    public var grantsRevoked: Int
    /// `stopAndWipeLinkHalf` commands queued for the agents still running a half.
    public var halvesWiped: Int
    /// `setLinkRoutes` commands queued for halves whose link stays.
    public var halvesUpdated: Int
    public var warnings: [String]

    public init(
        removed: String, linksRemoved: [String] = [], grantsRevoked: Int = 0, halvesWiped: Int = 0, halvesUpdated: Int = 0,
        warnings: [String] = []
    ) {
        self.removed = removed
        self.linksRemoved = linksRemoved
        self.grantsRevoked = grantsRevoked
        self.halvesWiped = halvesWiped
        self.halvesUpdated = halvesUpdated
        self.warnings = warnings
    }
}
