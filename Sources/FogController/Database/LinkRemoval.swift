/// A link whose rows were deleted, with its halves: after the delete, this value is the only
/// place the controller still knows them, to revoke their grants and wipe the halves on
/// their agents. It must not be persisted.
public struct LinkRemoval: Sendable, Hashable {
    public var link: LinkRecord
    /// Sides A and B, in that order.
    public var halves: [LinkHalfRecord]

    public init(link: LinkRecord, halves: [LinkHalfRecord]) {
        self.link = link
        self.halves = halves
    }

    /// The halves' principals on the link's ComSat.
    public var principals: [RevokedPrincipal] {
        halves.map { RevokedPrincipal(comsatID: link.comsatID, username: $0.username, clientID: $0.clientID) }
    }
}
