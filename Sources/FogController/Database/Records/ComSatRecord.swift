public import FogCore
public import Foundation
public import GRDB

/// A ComSat the controller enrolled: where it is, how to trust it and what it last said.
///
/// Holds no secret: the controller's MQTT password for this ComSat lives in the
/// controller's home directory (`ControllerHome.comsatCredential(for:)`), and the ComSat
/// only ever receives its hash.
public struct ComSatRecord: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "comsat"

    /// What the controller last observed of the ComSat's reachability.
    public enum Health: String, Codable, Sendable, Hashable, DatabaseValueConvertible {
        /// Never contacted since enrolment.
        case unknown
        /// Connected and answering signed commands.
        case healthy
        /// The last connection attempt failed or the connection was lost.
        case unreachable
    }

    public enum Columns {
        public static let id = Column(CodingKeys.id)
        public static let name = Column(CodingKeys.name)
        public static let url = Column(CodingKeys.url)
        public static let caFile = Column(CodingKeys.caFile)
        public static let responseKey = Column(CodingKeys.responseKey)
        public static let controllerUsername = Column(CodingKeys.controllerUsername)
        public static let controllerClientID = Column(CodingKeys.controllerClientID)
        public static let digestCount = Column(CodingKeys.digestCount)
        public static let digestSum = Column(CodingKeys.digestSum)
        public static let health = Column(CodingKeys.health)
        public static let healthChanged = Column(CodingKeys.healthChanged)
        public static let created = Column(CodingKeys.created)
    }

    public var id: OpaqueID
    /// Operator's name for it, unique.
    public var name: String
    /// `mqtts://host:port` or `mqtt://host:port`, as validated by `ComSatURL`.
    public var url: String
    /// PEM file of the CA that signed the ComSat's server certificate (TLS only).
    public var caFile: String?
    /// The ComSat's Ed25519 identity key that signs its responses; nil until pinned.
    public var responseKey: SigningPublicKey?
    public var controllerUsername: String
    public var controllerClientID: String
    /// Grant count of the ComSat's digest at the last successful sync, nil before one.
    public var digestCount: Int64?
    /// Hex of the digest's 32-byte sum at the last successful sync.
    public var digestSum: String?
    public var health: Health
    public var healthChanged: Date?
    public var created: Date

    public init(
        id: OpaqueID = OpaqueID(), name: String, url: String, caFile: String?, responseKey: SigningPublicKey?,
        controllerUsername: String, controllerClientID: String, digestCount: Int64? = nil, digestSum: String? = nil,
        health: Health = .unknown, healthChanged: Date? = nil, created: Date = Date()
    ) {
        self.id = id
        self.name = name
        self.url = url
        self.caFile = caFile
        self.responseKey = responseKey
        self.controllerUsername = controllerUsername
        self.controllerClientID = controllerClientID
        self.digestCount = digestCount
        self.digestSum = digestSum
        self.health = health
        self.healthChanged = healthChanged
        self.created = created
    }
}
