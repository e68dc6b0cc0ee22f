public import FogController
public import FogCore
import Foundation
public import Logging

/// Rows for store tests, built the way the controller builds them.
public enum ControllerFixtures {
    public static let logger = Logger(label: "fogfabric.test.controller") { _ in SwiftLogNoOpLogHandler() }

    public static func comsat(name: String = "cs-\(OpaqueID())", key: SigningPublicKey? = nil) -> ComSatRecord {
        ComSatRecord(
            name: name, url: "mqtt://127.0.0.1:1883", caFile: nil, responseKey: key, controllerUsername: "controller",
            controllerClientID: "controller-test")
    }

    /// One ComSat with two agents at home on it, inserted: the smallest fabric a link needs.
    public static func twoAgentsOnOneComSat(
        in database: ControllerDatabase
    ) async throws -> (comsat: ComSatRecord, a: AgentRecord, b: AgentRecord) {
        let comsat = comsat()
        try await database.insertComSat(comsat)
        let (a, _) = agent(home: comsat.id)
        let (b, _) = agent(home: comsat.id)
        try await database.insertAgent(a)
        try await database.insertAgent(b)
        return (comsat, a, b)
    }

    public static func agent(name: String = "agent-\(OpaqueID())", home: OpaqueID) -> (AgentRecord, Secret) {
        let secret = Secret()
        let id = OpaqueID()
        return (
            AgentRecord(
                id: id, name: name, signingKey: SigningKey().publicKey, agreementKey: AgreementKey().publicKey,
                secretHash: secret.hash, clientID: "a-\(id)", homeComSatID: home),
            secret
        )
    }

    /// A link between two agents with both halves' secrets (as the halves would hold them).
    public static func link(comsatID: OpaqueID, a: OpaqueID, b: OpaqueID) -> (LinkRecord, [LinkHalfRecord], [Secret]) {
        let link = LinkRecord(comsatID: comsatID)
        let ab = OpaqueID()
        let ba = OpaqueID()
        let halves = [
            LinkHalfRecord(linkID: link.id, side: .a, agentID: a, publishTopicID: ab, subscribeTopicID: ba),
            LinkHalfRecord(linkID: link.id, side: .b, agentID: b, publishTopicID: ba, subscribeTopicID: ab),
        ]
        return (link, halves, [Secret(), Secret()])
    }
}


public func fileBytes(_ path: String) -> [UInt8] {
    (try? [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))) ?? []
}
