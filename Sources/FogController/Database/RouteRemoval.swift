/// What `ControllerStore.deleteRoute` did.
public struct RouteRemoval: Sendable, Hashable {
    public var route: RouteRecord
    /// The link's halves (sides A and B), whether or not the link remains.
    public var halves: [LinkHalfRecord]
    /// The routes the link still carries, by channel; empty when the link went too.
    public var remainingRoutes: [RouteRecord]
    /// The link, when the route was its last and the link was deleted with it.
    public var removedLink: LinkRemoval?

    public init(route: RouteRecord, halves: [LinkHalfRecord], remainingRoutes: [RouteRecord], removedLink: LinkRemoval?) {
        self.route = route
        self.halves = halves
        self.remainingRoutes = remainingRoutes
        self.removedLink = removedLink
    }
}
