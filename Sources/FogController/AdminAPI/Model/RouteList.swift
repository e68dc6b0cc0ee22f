/// Body of `GET /v1/routes`.
public struct RouteList: Codable, Sendable, Hashable {
    public var routes: [RouteSummary]

    public init(routes: [RouteSummary]) {
        self.routes = routes
    }
}
