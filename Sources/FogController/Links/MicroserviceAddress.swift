/// `AGENT/MICROSERVICE` as `fogctl route` takes it: a microservice named by its agent's name
/// and its own.
public struct MicroserviceAddress: Codable, Sendable, Hashable, CustomStringConvertible {
    public var agent: String
    public var microservice: String

    public init(agent: String, microservice: String) {
        self.agent = agent
        self.microservice = microservice
    }

    /// Parses `AGENT/MICROSERVICE`; nil unless there is exactly one slash with text on both
    /// sides (neither name may contain a slash).
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        agent = String(parts[0])
        microservice = String(parts[1])
    }

    public var description: String { "\(agent)/\(microservice)" }
}
