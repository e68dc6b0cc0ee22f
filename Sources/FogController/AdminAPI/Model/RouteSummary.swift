public import Foundation

/// One route as the admin API shows it: its ends by name, its link and channel.
public struct RouteSummary: Codable, Sendable, Hashable {
    public var id: String
    /// `AGENT/MICROSERVICE` of the producer.
    public var source: String
    /// `AGENT/MICROSERVICE` of the consumer.
    public var target: String
    public var linkID: String
    public var channel: UInt16
    public var created: Date

    public init(id: String, source: String, target: String, linkID: String, channel: UInt16, created: Date) {
        self.id = id
        self.source = source
        self.target = target
        self.linkID = linkID
        self.channel = channel
        self.created = created
    }

    /// `agentNames` maps agent ids (text) to names; an unknown id stands for itself.
    init(_ route: RouteRecord, agentNames: [String: String]) {
        func address(_ agentID: String, _ microservice: String) -> String {
            "\(agentNames[agentID] ?? agentID)/\(microservice)"
        }
        self.init(
            id: route.id.description, source: address(route.sourceAgentID.description, route.sourceMicroservice),
            target: address(route.targetAgentID.description, route.targetMicroservice), linkID: route.linkID.description,
            channel: route.channel, created: route.created)
    }
}
