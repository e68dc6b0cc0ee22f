public import FogCore
public import Foundation
internal import GRDB
internal import Logging

extension ControllerDatabase: ControllerStore {
    // MARK: ComSats

    public func insertComSat(_ comsat: ComSatRecord) async throws(ControllerError) {
        try await write("adding ComSat '\(comsat.name)'") { db in try comsat.insert(db) }
    }

    public func comsat(id: OpaqueID) async throws(ControllerError) -> ComSatRecord? {
        try await read("reading ComSat \(id)") { db in try ComSatRecord.fetchOne(db, key: id.description) }
    }

    public func comsat(named name: String) async throws(ControllerError) -> ComSatRecord? {
        try await read("reading ComSat '\(name)'") { db in
            try ComSatRecord.filter(ComSatRecord.Columns.name == name).fetchOne(db)
        }
    }

    public func comsats() async throws(ControllerError) -> [ComSatRecord] {
        try await read("listing ComSats") { db in try ComSatRecord.order(ComSatRecord.Columns.name).fetchAll(db) }
    }

    public func pinResponseKey(_ key: SigningPublicKey, comsatID: OpaqueID) async throws(ControllerError) {
        try await write("pinning the response key of ComSat \(comsatID)") { db in
            var comsat = try Self.existingComSat(comsatID, db)
            if let pinned = comsat.responseKey {
                guard pinned == key else {
                    throw ControllerError(
                        .comsatKeyMismatch,
                        "ComSat \(comsatID) already has response key \(pinned) pinned, not \(key); remove and re-enrol it to change the key")
                }
                return
            }
            comsat.responseKey = key
            try comsat.update(db)
        }
    }

    public func recordGrantDigest(_ digest: GrantSetDigest, comsatID: OpaqueID) async throws(ControllerError) {
        try await write("recording the grant digest of ComSat \(comsatID)") { db in
            var comsat = try Self.existingComSat(comsatID, db)
            comsat.digestCount = Int64(clamping: digest.count)
            comsat.digestSum = Hex.encode(digest.sumBytes)
            try comsat.update(db)
        }
    }

    public func setHealth(_ health: ComSatRecord.Health, comsatID: OpaqueID, at date: Date) async throws(ControllerError) {
        try await write("recording the health of ComSat \(comsatID)") { db in
            var comsat = try Self.existingComSat(comsatID, db)
            guard comsat.health != health else { return }
            comsat.health = health
            comsat.healthChanged = date
            try comsat.update(db)
        }
    }

    public func grants(comsatID: OpaqueID, now: Date) async throws(ControllerError) -> [Grant] {
        try await read("collecting the grants of ComSat \(comsatID)") { db in
            let id = comsatID.description
            let agents = try AgentRecord.filter(AgentRecord.Columns.homeComSatID == id).fetchAll(db)
            let keys = try ProvisioningKeyRecord
                .filter(ProvisioningKeyRecord.Columns.comsatID == id)
                .filter(ProvisioningKeyRecord.Columns.used == false)
                .filter(ProvisioningKeyRecord.Columns.expires > now)
                .fetchAll(db)
            let halves = try LinkHalfRecord
                .filter(sql: "linkID IN (SELECT id FROM link WHERE comsatID = ?)", arguments: [id])
                .filter(LinkHalfRecord.Columns.secretHash != nil)
                .fetchAll(db)
            return agents.map(\.grant) + keys.map(\.grant) + halves.compactMap(\.grant)
        }
    }

    private static func existingComSat(_ id: OpaqueID, _ db: Database) throws -> ComSatRecord {
        guard let comsat = try ComSatRecord.fetchOne(db, key: id.description) else {
            throw ControllerError(.notFound, "no ComSat has id \(id)")
        }
        return comsat
    }

    // MARK: Agents

    public func insertAgent(_ agent: AgentRecord) async throws(ControllerError) {
        try await write("adding agent '\(agent.name)'") { db in try agent.insert(db) }
    }

    public func agent(id: OpaqueID) async throws(ControllerError) -> AgentRecord? {
        try await read("reading agent \(id)") { db in try AgentRecord.fetchOne(db, key: id.description) }
    }

    public func agents() async throws(ControllerError) -> [AgentRecord] {
        try await read("listing agents") { db in
            try AgentRecord.order(AgentRecord.Columns.name, AgentRecord.Columns.id).fetchAll(db)
        }
    }

    public func deleteAgent(id: OpaqueID) async throws(ControllerError) -> [RevokedPrincipal] {
        let revoked = try await write("deleting agent \(id)") { db in
            guard let agent = try AgentRecord.fetchOne(db, key: id.description) else {
                throw ControllerError(.notFound, "no agent has id \(id)")
            }
            let linkIDs = try String.fetchAll(
                db, sql: "SELECT DISTINCT linkID FROM linkHalf WHERE agentID = ?", arguments: [id.description])
            var revoked: [RevokedPrincipal] = []
            for linkID in linkIDs {
                revoked += try Self.deleteLink(linkID, db)
            }
            revoked.append(
                RevokedPrincipal(comsatID: agent.homeComSatID, username: agent.id.description, clientID: agent.clientID))
            // Microservices and outbox commands go with it (ON DELETE CASCADE).
            try agent.delete(db)
            return revoked
        }
        logger.info("deleted agent", metadata: ["fog.agent.id": "\(id)", "fog.principals.revoked": "\(revoked.count)"])
        try await scrubWriteAheadLog()
        return revoked
    }

    // MARK: Provisioning keys

    public func insertProvisioningKey(_ key: ProvisioningKeyRecord) async throws(ControllerError) {
        try await write("adding provisioning key \(key.id)") { db in try key.insert(db) }
    }

    public func provisioningKey(id: OpaqueID) async throws(ControllerError) -> ProvisioningKeyRecord? {
        try await read("reading provisioning key \(id)") { db in
            try ProvisioningKeyRecord.fetchOne(db, key: id.description)
        }
    }

    public func consumeProvisioningKey(id: OpaqueID, now: Date) async throws(ControllerError) -> ProvisioningKeyRecord? {
        try await write("consuming provisioning key \(id)") { db in
            // One conditional UPDATE: SQLite serialises writers, so of racing callers only
            // the first sees a changed row.
            let changed = try ProvisioningKeyRecord
                .filter(key: id.description)
                .filter(ProvisioningKeyRecord.Columns.used == false)
                .filter(ProvisioningKeyRecord.Columns.expires > now)
                .updateAll(db, ProvisioningKeyRecord.Columns.used.set(to: true))
            guard changed == 1 else { return nil }
            return try ProvisioningKeyRecord.fetchOne(db, key: id.description)
        }
    }

    public func deleteProvisioningKey(id: OpaqueID) async throws(ControllerError) -> RevokedPrincipal? {
        let revoked = try await write("deleting provisioning key \(id)") { db -> RevokedPrincipal? in
            guard let key = try ProvisioningKeyRecord.fetchOne(db, key: id.description) else { return nil }
            try key.delete(db)
            return RevokedPrincipal(comsatID: key.comsatID, username: key.id.description, clientID: key.clientID)
        }
        if revoked != nil {
            logger.info("deleted provisioning key", metadata: ["fog.provisioning_key.id": "\(id)"])
            try await scrubWriteAheadLog()
        }
        return revoked
    }

    // MARK: Microservices

    public func insertMicroservice(_ microservice: MicroserviceRecord) async throws(ControllerError) {
        try await write("adding microservice '\(microservice.name)' to agent \(microservice.agentID)") { db in
            try microservice.insert(db)
        }
    }

    public func microservices(agentID: OpaqueID) async throws(ControllerError) -> [MicroserviceRecord] {
        try await read("listing the microservices of agent \(agentID)") { db in
            try MicroserviceRecord
                .filter(MicroserviceRecord.Columns.agentID == agentID.description)
                .order(MicroserviceRecord.Columns.name)
                .fetchAll(db)
        }
    }

    public func deleteMicroservice(agentID: OpaqueID, name: String) async throws(ControllerError) -> Bool {
        try await write("deleting microservice '\(name)' of agent \(agentID)") { db in
            try MicroserviceRecord
                .filter(MicroserviceRecord.Columns.agentID == agentID.description)
                .filter(MicroserviceRecord.Columns.name == name)
                .deleteAll(db) > 0
        }
    }

    // MARK: Links

    public func insertLink(_ link: LinkRecord, halves: [LinkHalfRecord]) async throws(ControllerError) {
        try await write("adding link \(link.id)") { db in
            try link.insert(db)
            for half in halves {
                guard half.linkID == link.id else {
                    throw ControllerError(.invalidGrant, "half \(half.side) names link \(half.linkID), not \(link.id)")
                }
                try half.insert(db)
            }
        }
    }

    public func link(id: OpaqueID) async throws(ControllerError) -> LinkRecord? {
        try await read("reading link \(id)") { db in try LinkRecord.fetchOne(db, key: id.description) }
    }

    public func links(comsatID: OpaqueID) async throws(ControllerError) -> [LinkRecord] {
        try await read("listing the links on ComSat \(comsatID)") { db in
            try LinkRecord.filter(LinkRecord.Columns.comsatID == comsatID.description).fetchAll(db)
        }
    }

    public func linkHalves(linkID: OpaqueID) async throws(ControllerError) -> [LinkHalfRecord] {
        try await read("reading the halves of link \(LogAlias.of(linkID))") { db in
            try LinkHalfRecord
                .filter(LinkHalfRecord.Columns.linkID == linkID.description)
                .order(LinkHalfRecord.Columns.side)
                .fetchAll(db)
        }
    }

    public func reportSecretHash(
        _ hash: SecretHash, linkID: OpaqueID, side: LinkHalfRecord.Side
    ) async throws(ControllerError) -> LinkHalfRecord {
        try await write("recording the secret hash of link \(linkID) side \(side.rawValue)") { db in
            guard var half = try LinkHalfRecord.fetchOne(db, key: ["linkID": linkID.description, "side": side.rawValue])
            else {
                throw ControllerError(.notFound, "link \(linkID) has no half \(side.rawValue)")
            }
            half.secretHash = hash
            try half.update(db)
            return half
        }
    }

    public func setLinkState(_ state: LinkRecord.State, linkID: OpaqueID) async throws(ControllerError) {
        try await write("setting the state of link \(LogAlias.of(linkID))") { db in
            let changed = try LinkRecord.filter(key: linkID.description)
                .updateAll(db, LinkRecord.Columns.state.set(to: state))
            guard changed == 1 else { throw ControllerError(.notFound, "no link has id \(linkID)") }
        }
    }

    public func deleteLink(id: OpaqueID) async throws(ControllerError) -> [RevokedPrincipal] {
        let revoked = try await write("deleting link \(id)") { db in
            guard try LinkRecord.exists(db, key: id.description) else {
                throw ControllerError(.notFound, "no link has id \(id)")
            }
            return try Self.deleteLink(id.description, db)
        }
        logger.info("deleted link", metadata: ["fog.link": "\(LogAlias.of(id))"])
        try await scrubWriteAheadLog()
        return revoked
    }

    /// Deletes one link and (by cascade) its halves inside the caller's transaction.
    private static func deleteLink(_ linkID: String, _ db: Database) throws -> [RevokedPrincipal] {
        guard let link = try LinkRecord.fetchOne(db, key: linkID) else { return [] }
        let halves = try LinkHalfRecord.filter(LinkHalfRecord.Columns.linkID == linkID).fetchAll(db)
        try link.delete(db)
        return halves.map { RevokedPrincipal(comsatID: link.comsatID, username: $0.username, clientID: $0.clientID) }
    }

    // MARK: Agent command outbox

    public func enqueueCommand(
        agentID: OpaqueID, seal: @escaping @Sendable (Int64) throws(ControllerError) -> [UInt8]
    ) async throws(ControllerError) -> AgentCommandRecord {
        try await write("queueing a command for agent \(agentID)") { db in
            guard var agent = try AgentRecord.fetchOne(db, key: agentID.description) else {
                throw ControllerError(.notFound, "no agent has id \(agentID)")
            }
            let sequence = agent.nextCommandSequence
            let command = AgentCommandRecord(agentID: agentID, sequence: sequence, sealed: Data(try seal(sequence)))
            try command.insert(db)
            agent.nextCommandSequence = sequence + 1
            try agent.update(db)
            return command
        }
    }

    public func pendingCommands(agentID: OpaqueID) async throws(ControllerError) -> [AgentCommandRecord] {
        try await read("reading the outbox of agent \(agentID)") { db in
            try AgentCommandRecord
                .filter(AgentCommandRecord.Columns.agentID == agentID.description)
                .order(AgentCommandRecord.Columns.sequence)
                .fetchAll(db)
        }
    }

    public func acknowledgeCommands(agentID: OpaqueID, through sequence: Int64) async throws(ControllerError) -> Int {
        try await write("acknowledging commands of agent \(agentID)") { db in
            guard var agent = try AgentRecord.fetchOne(db, key: agentID.description) else {
                throw ControllerError(.notFound, "no agent has id \(agentID)")
            }
            let acknowledged = try AgentCommandRecord
                .filter(AgentCommandRecord.Columns.agentID == agentID.description)
                .filter(AgentCommandRecord.Columns.sequence <= sequence)
                .deleteAll(db)
            if sequence > agent.lastAckedSequence, sequence < agent.nextCommandSequence {
                agent.lastAckedSequence = sequence
                try agent.update(db)
            }
            return acknowledged
        }
    }
}
