public import FogCore

/// The two ends of a route: a producer microservice and a consumer microservice, each on an
/// agent (possibly the same one). A route is unique by its endpoints.
public struct RouteEndpoints: Sendable, Hashable {
    public var sourceAgentID: OpaqueID
    public var sourceMicroservice: String
    public var targetAgentID: OpaqueID
    public var targetMicroservice: String

    public init(sourceAgentID: OpaqueID, sourceMicroservice: String, targetAgentID: OpaqueID, targetMicroservice: String) {
        self.sourceAgentID = sourceAgentID
        self.sourceMicroservice = sourceMicroservice
        self.targetAgentID = targetAgentID
        self.targetMicroservice = targetMicroservice
    }
}
