public import Foundation

/// One provisioned agent as the admin API shows it: ids, names and presence only — no key,
/// hash or topic.
public struct AgentSummary: Codable, Sendable, Hashable {
    public var id: String
    public var name: String
    public var comsatID: String
    /// Name of the home ComSat, nil if it is no longer enrolled.
    public var comsat: String?
    /// `unknown`, `online` or `offline`, from the agent's status messages and MQTT will.
    public var presence: String
    public var presenceChanged: Date?
    public var created: Date

    public init(
        id: String, name: String, comsatID: String, comsat: String?, presence: String, presenceChanged: Date?,
        created: Date
    ) {
        self.id = id
        self.name = name
        self.comsatID = comsatID
        self.comsat = comsat
        self.presence = presence
        self.presenceChanged = presenceChanged
        self.created = created
    }

    init(_ record: AgentRecord, comsatName: String?) {
        self.init(
            id: record.id.description, name: record.name, comsatID: record.homeComSatID.description, comsat: comsatName,
            presence: record.presence.rawValue, presenceChanged: record.presenceChanged, created: record.created)
    }
}
