/// What `ControllerStore.insertRoute` did: the new route and the link that carries it.
public struct RouteInsertion: Sendable, Hashable {
    public var route: RouteRecord
    public var link: LinkRecord
    /// Sides A and B, in that order.
    public var halves: [LinkHalfRecord]
    /// Every route of the link, the new one included, by channel.
    public var routes: [RouteRecord]
    /// True when the link was created for this route (its halves must now be assigned).
    public var linkCreated: Bool

    public init(route: RouteRecord, link: LinkRecord, halves: [LinkHalfRecord], routes: [RouteRecord], linkCreated: Bool) {
        self.route = route
        self.link = link
        self.halves = halves
        self.routes = routes
        self.linkCreated = linkCreated
    }
}
