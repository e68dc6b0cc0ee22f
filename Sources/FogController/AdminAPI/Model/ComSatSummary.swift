public import Foundation

/// One enrolled ComSat as the admin API shows it: no credential, only what an operator
/// needs to check it (the controller's MQTT secret never leaves the controller's home).
public struct ComSatSummary: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var url: String
    public var caFile: String?
    /// The ComSat's response key (text form), nil until pinned.
    public var responseKey: String?
    /// `unknown`, `healthy` or `unreachable`, as last recorded.
    public var health: String
    public var healthChanged: Date?
    /// True while the controller holds a live session to it.
    public var connected: Bool
    /// Grants the ComSat held at the last successful synchronisation.
    public var grantCount: Int64?
    public var created: Date

    public init(
        id: String, name: String, url: String, caFile: String?, responseKey: String?, health: String, healthChanged: Date?,
        connected: Bool, grantCount: Int64?, created: Date
    ) {
        self.id = id
        self.name = name
        self.url = url
        self.caFile = caFile
        self.responseKey = responseKey
        self.health = health
        self.healthChanged = healthChanged
        self.connected = connected
        self.grantCount = grantCount
        self.created = created
    }

    init(_ record: ComSatRecord, connected: Bool) {
        self.init(
            id: record.id.description, name: record.name, url: record.url, caFile: record.caFile,
            responseKey: record.responseKey?.description, health: record.health.rawValue, healthChanged: record.healthChanged,
            connected: connected, grantCount: record.digestCount, created: record.created)
    }
}
