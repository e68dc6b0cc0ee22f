import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import GRDB
import Testing

@Suite struct ControllerDatabaseTests {
    typealias F = ControllerFixtures

    @Test func migratesAFreshFileWithWALAndSecureDelete() async throws {
        let directory = try TemporaryDirectory(prefix: "controller-db")
        defer { directory.remove() }
        let path = directory.path + "/controller.sqlite"
        let database = try ControllerDatabase.open(path: path, logger: F.logger)
        let (tables, journal, secureDelete) = try await database.writer.read { db in
            (
                try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name"),
                try String.fetchOne(db, sql: "PRAGMA journal_mode"),
                try Int.fetchOne(db, sql: "PRAGMA secure_delete")
            )
        }
        #expect(tables == ["agent", "agentCommand", "comsat", "link", "linkHalf", "microservice", "provisioningKey", "route"])
        #expect(journal == "wal")
        #expect(secureDelete == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        // Reopening runs no migration twice and keeps rows.
        try await database.insertComSat(F.comsat(name: "one"))
        let reopened = try ControllerDatabase.open(path: path, logger: F.logger)
        #expect(try await reopened.comsat(named: "one") != nil)
    }

    @Test func comsatRowsAndKeyPinning() async throws {
        let database = try ControllerDatabase.inMemory(logger: F.logger)
        var comsat = F.comsat(name: "edge-1")
        // Dates are stored to the millisecond; a whole second round-trips exactly.
        comsat.created = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))
        try await database.insertComSat(comsat)
        #expect(try await database.comsat(id: comsat.id) == comsat)
        await #expect(throws: ControllerError.self) { try await database.insertComSat(F.comsat(name: "edge-1")) }
        let key = SigningKey().publicKey
        try await database.pinResponseKey(key, comsatID: comsat.id)
        try await database.pinResponseKey(key, comsatID: comsat.id)
        do {
            try await database.pinResponseKey(SigningKey().publicKey, comsatID: comsat.id)
            Issue.record("a second key replaced the pinned one")
        } catch {
            #expect(error.code == .comsatKeyMismatch)
        }
        #expect(try await database.comsat(id: comsat.id)?.responseKey == key)
        try await database.setHealth(.healthy, comsatID: comsat.id, at: Date())
        #expect(try await database.comsat(id: comsat.id)?.health == .healthy)
        do {
            try await database.setHealth(.healthy, comsatID: OpaqueID(), at: Date())
            Issue.record("unknown ComSat accepted")
        } catch {
            #expect(error.code == .notFound)
        }
    }

    @Test func grantsOfAComSatComeFromAgentsKeysAndReportedHalves() async throws {
        let database = try ControllerDatabase.inMemory(logger: F.logger)
        let comsat = F.comsat()
        let other = F.comsat()
        try await database.insertComSat(comsat)
        try await database.insertComSat(other)
        let (a, _) = F.agent(home: comsat.id)
        let (b, _) = F.agent(home: other.id)
        try await database.insertAgent(a)
        try await database.insertAgent(b)
        let (link, halves, secrets) = F.link(comsatID: comsat.id, a: a.id, b: b.id)
        try await database.insertLink(link, halves: halves)
        let now = Date()
        let live = ProvisioningKeyRecord(
            agentName: "new", secretHash: Secret().hash, clientID: "pk-1", comsatID: comsat.id, expires: now + 600)
        let expired = ProvisioningKeyRecord(
            agentName: "old", secretHash: Secret().hash, clientID: "pk-2", comsatID: comsat.id, expires: now - 1)
        try await database.insertProvisioningKey(live)
        try await database.insertProvisioningKey(expired)

        // Halves without a reported hash have no grant yet.
        #expect(Set(try await database.grants(comsatID: comsat.id, now: now)) == [a.grant, live.grant])
        _ = try await database.reportSecretHash(secrets[0].hash, linkID: link.id, side: .a)
        let b2 = try await database.reportSecretHash(secrets[1].hash, linkID: link.id, side: .b)
        let grants = try await database.grants(comsatID: comsat.id, now: now)
        #expect(grants.count == 4)
        #expect(grants.contains(try #require(b2.grant)))
        for grant in grants { try grant.validate() }
        #expect(try await database.grants(comsatID: other.id, now: now) == [b.grant])

        // Exactly one consumer wins a key, an expired key is never consumed.
        let winners = try await withThrowingTaskGroup(of: ProvisioningKeyRecord?.self) { group in
            for _ in 0..<8 { group.addTask { try await database.consumeProvisioningKey(id: live.id, now: now) } }
            return try await group.reduce(into: 0) { $0 += $1 == nil ? 0 : 1 }
        }
        #expect(winners == 1)
        #expect(try await database.consumeProvisioningKey(id: expired.id, now: now) == nil)
        #expect(try await database.grants(comsatID: comsat.id, now: now).count == 3)
    }

    @Test func commandOutboxAndAgentDeletion() async throws {
        let database = try ControllerDatabase.inMemory(logger: F.logger)
        let (comsat, a, b) = try await F.twoAgentsOnOneComSat(in: database)
        for index in 1...3 {
            let command = try await database.enqueueCommand(agentID: a.id) { sequence in [UInt8(sequence), 0xEE] }
            #expect(command.sequence == Int64(index))
            #expect(command.sealed == Data([UInt8(index), 0xEE]))
        }
        #expect(try await database.acknowledgeCommands(agentID: a.id, through: 2) == 2)
        #expect(try await database.pendingCommands(agentID: a.id).map(\.sequence) == [3])
        #expect(try await database.agent(id: a.id)?.lastAckedSequence == 2)

        try await database.insertMicroservice(MicroserviceRecord(agentID: a.id, name: "ms", executable: "/bin/true", arguments: ["-x"], environment: ["K": "V"]))
        #expect(try await database.microservices(agentID: a.id).first?.environment == ["K": "V"])
        let (link, halves, _) = F.link(comsatID: comsat.id, a: a.id, b: b.id)
        try await database.insertLink(link, halves: halves)

        let revoked = try await database.deleteAgent(id: a.id)
        #expect(Set(revoked.map(\.username)) == Set(halves.map(\.username) + [a.id.description]))
        #expect(try await database.link(id: link.id) == nil)
        #expect(try await database.linkHalves(linkID: link.id).isEmpty)
        #expect(try await database.microservices(agentID: a.id).isEmpty)
        #expect(try await database.pendingCommands(agentID: a.id).isEmpty)
        #expect(try await database.agent(id: b.id) != nil)
    }

    /// After a link is deleted, neither the database file nor its WAL holds any byte string
    /// of the link's id, its halves' usernames, client ids, topics or secret hashes.
    @Test func deletedLinkLeavesNoBytesInFileOrWAL() async throws {
        let directory = try TemporaryDirectory(prefix: "controller-db-wipe")
        defer { directory.remove() }
        let path = directory.path + "/controller.sqlite"
        let database = try ControllerDatabase.open(path: path, logger: F.logger)
        let (comsat, a, b) = try await F.twoAgentsOnOneComSat(in: database)
        // Neighbours on the same pages, so the wiped link's cells sit among live ones.
        var neighbours: [OpaqueID] = []
        for _ in 0..<20 {
            let (other, otherHalves, _) = F.link(comsatID: comsat.id, a: a.id, b: b.id)
            try await database.insertLink(other, halves: otherHalves)
            neighbours.append(other.id)
        }
        let (link, halves, secrets) = F.link(comsatID: comsat.id, a: a.id, b: b.id)
        try await database.insertLink(link, halves: halves)
        for (half, secret) in zip(halves, secrets) {
            _ = try await database.reportSecretHash(secret.hash, linkID: link.id, side: half.side)
        }
        try await database.setLinkState(.up, linkID: link.id)

        var needles: [(String, [UInt8])] = [("link id", Array(link.id.description.utf8)), ("raw link id", link.id.bytes)]
        for half in halves {
            needles += [
                ("username", Array(half.username.utf8)), ("client id", Array(half.clientID.utf8)),
                ("publish topic id", Array(half.publishTopicID.description.utf8)),
                ("subscribe topic id", Array(half.subscribeTopicID.description.utf8)),
            ]
        }
        needles += secrets.map { ("secret hash", Array($0.hash.description.utf8)) }
        needles += secrets.map { ("raw secret hash", $0.hash.bytes) }
        let files = [path, path + "-wal"]
        // Positive control: before the delete the bytes are on disk.
        let before = files.map(fileBytes).reduce([], +)
        let idBefore = before.containsRun(Array(link.id.description.utf8))
        let hashBefore = before.containsRun(Array(secrets[0].hash.description.utf8))
        #expect(idBefore)
        #expect(hashBefore)

        let revoked = try await database.deleteLink(id: link.id)
        #expect(revoked.count == 2)
        #expect(try await database.link(id: link.id) == nil)
        for file in files {
            let bytes = fileBytes(file)
            for (name, needle) in needles {
                let found = bytes.containsRun(needle)
                #expect(!found, "\(name) of the deleted link is still in \(file)")
            }
        }
        // The neighbours survived.
        for id in neighbours {
            #expect(try await database.linkHalves(linkID: id).count == 2)
        }
    }

    /// Deleting an agent removes its links too, and leaves none of its bytes on disk.
    @Test func deletedAgentLeavesNoBytesInFileOrWAL() async throws {
        let directory = try TemporaryDirectory(prefix: "controller-db-wipe-agent")
        defer { directory.remove() }
        let path = directory.path + "/controller.sqlite"
        let database = try ControllerDatabase.open(path: path, logger: F.logger)
        let (comsat, a, b) = try await F.twoAgentsOnOneComSat(in: database)
        let (link, halves, secrets) = F.link(comsatID: comsat.id, a: a.id, b: b.id)
        try await database.insertLink(link, halves: halves)
        _ = try await database.reportSecretHash(secrets[0].hash, linkID: link.id, side: .a)
        _ = try await database.enqueueCommand(agentID: a.id) { _ in Array("SEALED-COMMAND-BYTES".utf8) }

        let revoked = try await database.deleteAgent(id: a.id)
        #expect(revoked.count == 3)
        var needles: [(String, [UInt8])] = [
            ("agent id", Array(a.id.description.utf8)), ("agent client id", Array(a.clientID.utf8)),
            ("agent secret hash", Array(a.secretHash.description.utf8)),
            ("agent command topic", Array(a.commandTopicID.description.utf8)),
            ("outbox command", Array("SEALED-COMMAND-BYTES".utf8)), ("link id", Array(link.id.description.utf8)),
            ("half secret hash", Array(secrets[0].hash.description.utf8)),
        ]
        needles += halves.map { ("half username", Array($0.username.utf8)) }
        for file in [path, path + "-wal"] {
            let bytes = fileBytes(file)
            for (name, needle) in needles {
                let found = bytes.containsRun(needle)
                #expect(!found, "\(name) of the deleted agent is still in \(file)")
            }
        }
        let remaining = fileBytes(path)
        let otherAgentKept = remaining.containsRun(Array(b.id.description.utf8))
        #expect(otherAgentKept)
    }
}
