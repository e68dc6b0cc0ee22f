/// Body of `GET /v1/microservices`.
public struct MicroserviceList: Codable, Sendable, Hashable {
    public var microservices: [MicroserviceSummary]

    public init(microservices: [MicroserviceSummary]) {
        self.microservices = microservices
    }
}
