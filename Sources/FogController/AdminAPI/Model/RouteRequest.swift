/// Body of `POST /v1/routes` (`fogctl route add SOURCE TARGET`): what `source` publishes
/// reaches `target`.
public struct RouteRequest: Codable, Sendable, Hashable {
    public var source: MicroserviceAddress
    public var target: MicroserviceAddress

    public init(source: MicroserviceAddress, target: MicroserviceAddress) {
        self.source = source
        self.target = target
    }
}
