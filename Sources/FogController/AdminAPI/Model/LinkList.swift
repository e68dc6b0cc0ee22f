/// Body of `GET /v1/links`.
public struct LinkList: Codable, Sendable, Hashable {
    public var links: [LinkSummary]

    public init(links: [LinkSummary]) {
        self.links = links
    }
}
