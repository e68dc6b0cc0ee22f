public import FogCore
public import Foundation
public import GRDB

/// A microservice deployed to an agent: a local process the agent supervises.
public struct MicroserviceRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "microservice"

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let agentID = Column(CodingKeys.agentID)
        public static let name = Column(CodingKeys.name)
        public static let executable = Column(CodingKeys.executable)
        public static let arguments = Column(CodingKeys.arguments)
        public static let environment = Column(CodingKeys.environment)
        public static let configuration = Column(CodingKeys.configuration)
        public static let created = Column(CodingKeys.created)
    }

    public var id: OpaqueID
    public var agentID: OpaqueID
    /// Unique per agent.
    public var name: String
    public var executable: String
    /// Stored as a JSON array.
    public var arguments: [String]
    /// Stored as a JSON object.
    public var environment: [String: String]
    /// Opaque JSON handed to the microservice.
    public var configuration: String?
    public var created: Date

    public init(
        id: OpaqueID = OpaqueID(), agentID: OpaqueID, name: String, executable: String, arguments: [String] = [],
        environment: [String: String] = [:], configuration: String? = nil, created: Date = Date()
    ) {
        self.id = id
        self.agentID = agentID
        self.name = name
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.configuration = configuration
        self.created = created
    }
}
