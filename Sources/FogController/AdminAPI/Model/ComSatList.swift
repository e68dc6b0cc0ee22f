/// Body of `GET /v1/comsats`: an object rather than a bare array, so fields can be added.
public struct ComSatList: Codable, Sendable, Hashable {
    public var comsats: [ComSatSummary]

    public init(comsats: [ComSatSummary]) {
        self.comsats = comsats
    }
}
