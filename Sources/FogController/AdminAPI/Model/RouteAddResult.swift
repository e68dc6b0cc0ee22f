/// Answer of `POST /v1/routes`: the route and the link that carries it.
public struct RouteAddResult: Codable, Sendable, Hashable {
    public var route: RouteSummary
    public var link: LinkSummary
    /// True when the link was created for this route (else an existing one carries it too).
    public var linkCreated: Bool

    public init(route: RouteSummary, link: LinkSummary, linkCreated: Bool) {
        self.route = route
        self.link = link
        self.linkCreated = linkCreated
    }
}
