public import FogCore

/// A principal whose rows were deleted and whose grant the controller must now remove from
/// `comsatID` (then sweep `clientID`'s session there).
///
/// Returned by the store's delete operations: once the rows are gone, this value is the only
/// place the controller still knows the username and client id, so it must not be persisted.
public struct RevokedPrincipal: Sendable, Hashable {
    public var comsatID: OpaqueID
    public var username: String
    public var clientID: String

    public init(comsatID: OpaqueID, username: String, clientID: String) {
        self.comsatID = comsatID
        self.username = username
        self.clientID = clientID
    }
}
