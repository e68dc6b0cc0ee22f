public import FogCore
internal import Foundation
internal import GRDB
internal import Logging

/// Routes, link placement and decommission over SQLite. Every delete here ends with
/// `scrubWriteAheadLog`, so the deleted link's bytes are gone from the file and its WAL.
extension ControllerDatabase {
    public func agent(named name: String) async throws(ControllerError) -> AgentRecord? {
        try await read("reading agent '\(name)'") { db in
            try AgentRecord.filter(AgentRecord.Columns.name == name).fetchOne(db)
        }
    }

    public func microservice(agentID: OpaqueID, name: String) async throws(ControllerError) -> MicroserviceRecord? {
        try await read("reading microservice '\(name)' of agent \(agentID)") { db in
            try Self.microservice(agentID: agentID.description, name: name, db)
        }
    }

    public func allMicroservices() async throws(ControllerError) -> [MicroserviceRecord] {
        try await read("listing microservices") { db in
            try MicroserviceRecord.order(MicroserviceRecord.Columns.agentID, MicroserviceRecord.Columns.name).fetchAll(db)
        }
    }

    public func saveMicroservice(_ microservice: MicroserviceRecord) async throws(ControllerError) -> Bool {
        try await write("saving microservice '\(microservice.name)' of agent \(microservice.agentID)") { db in
            guard var existing = try Self.microservice(agentID: microservice.agentID.description, name: microservice.name, db)
            else {
                try microservice.insert(db)
                return false
            }
            existing.executable = microservice.executable
            existing.arguments = microservice.arguments
            existing.environment = microservice.environment
            existing.configuration = microservice.configuration
            try existing.update(db)
            return true
        }
    }

    public func link(between a: OpaqueID, and b: OpaqueID) async throws(ControllerError) -> LinkRecord? {
        try await read("finding the link between agents \(a) and \(b)") { db in
            try Self.link(between: a.description, and: b.description, db)
        }
    }

    public func allLinks() async throws(ControllerError) -> [LinkRecord] {
        try await read("listing links") { db in
            try LinkRecord.order(LinkRecord.Columns.created, LinkRecord.Columns.id).fetchAll(db)
        }
    }

    public func linkCounts() async throws(ControllerError) -> [OpaqueID: Int] {
        try await read("counting links per ComSat") { db in
            var counts: [OpaqueID: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT comsatID, COUNT(*) AS count FROM link GROUP BY comsatID") {
                guard let id = OpaqueID(row["comsatID"] as String) else { continue }
                counts[id] = row["count"]
            }
            return counts
        }
    }

    public func links(agentID: OpaqueID) async throws(ControllerError) -> [LinkRecord] {
        try await read("listing the links of agent \(agentID)") { db in
            try LinkRecord
                .filter(sql: "id IN (SELECT linkID FROM linkHalf WHERE agentID = ?)", arguments: [agentID.description])
                .order(LinkRecord.Columns.created, LinkRecord.Columns.id)
                .fetchAll(db)
        }
    }

    public func routes(linkID: OpaqueID) async throws(ControllerError) -> [RouteRecord] {
        try await read("listing the routes of link \(LogAlias.of(linkID))") { db in try Self.routes(linkID: linkID.description, db) }
    }

    public func allRoutes() async throws(ControllerError) -> [RouteRecord] {
        try await read("listing routes") { db in
            try RouteRecord.order(RouteRecord.Columns.created, RouteRecord.Columns.id).fetchAll(db)
        }
    }

    public func routes(agentID: OpaqueID, microservice name: String) async throws(ControllerError) -> [RouteRecord] {
        try await read("listing the routes of microservice '\(name)' of agent \(agentID)") { db in
            let id = agentID.description
            return try RouteRecord
                .filter(
                    (RouteRecord.Columns.sourceAgentID == id && RouteRecord.Columns.sourceMicroservice == name)
                        || (RouteRecord.Columns.targetAgentID == id && RouteRecord.Columns.targetMicroservice == name))
                .order(RouteRecord.Columns.created, RouteRecord.Columns.id)
                .fetchAll(db)
        }
    }

    public func insertRoute(
        _ endpoints: RouteEndpoints, newLink: LinkRecord, newHalves: [LinkHalfRecord]
    ) async throws(ControllerError) -> RouteInsertion {
        let insertion = try await write("adding a route") { db -> RouteInsertion in
            for (agentID, name) in [
                (endpoints.sourceAgentID, endpoints.sourceMicroservice), (endpoints.targetAgentID, endpoints.targetMicroservice),
            ] where try Self.microservice(agentID: agentID.description, name: name, db) == nil {
                throw ControllerError(.notFound, "agent \(agentID) has no microservice '\(name)'")
            }
            var created = false
            let link: LinkRecord
            if let existing = try Self.link(
                between: endpoints.sourceAgentID.description, and: endpoints.targetAgentID.description, db)
            {
                link = existing
            } else {
                try Self.checkNewLink(newLink, halves: newHalves, endpoints: endpoints)
                try newLink.insert(db)
                for half in newHalves { try half.insert(db) }
                link = newLink
                created = true
            }
            let existingRoutes = try Self.routes(linkID: link.id.description, db)
            guard existingRoutes.count < LinkRoute.maximumCount else {
                throw ControllerError(
                    .invalidRequest,
                    "link \(link.id) already carries \(existingRoutes.count) routes, the most one link can; remove one first")
            }
            if existingRoutes.contains(where: { $0.endpoints == endpoints }) {
                throw ControllerError(.nameTaken, "this route exists already on link \(link.id)")
            }
            let used = Set(existingRoutes.map(\.channel))
            // Fewer than 64 routes, so a free channel is always among the first 64.
            guard let channel = (1...UInt16.max).first(where: { !used.contains($0) }) else {
                throw ControllerError(.invalidRequest, "link \(link.id) has no free channel")
            }
            let route = RouteRecord(
                linkID: link.id, channel: channel, sourceAgentID: endpoints.sourceAgentID,
                sourceMicroservice: endpoints.sourceMicroservice, targetAgentID: endpoints.targetAgentID,
                targetMicroservice: endpoints.targetMicroservice)
            try route.insert(db)
            let halves = try LinkHalfRecord
                .filter(LinkHalfRecord.Columns.linkID == link.id.description)
                .order(LinkHalfRecord.Columns.side)
                .fetchAll(db)
            return RouteInsertion(
                route: route, link: link, halves: halves, routes: (existingRoutes + [route]).sorted { $0.channel < $1.channel },
                linkCreated: created)
        }
        return insertion
    }

    public func deleteRoute(_ endpoints: RouteEndpoints) async throws(ControllerError) -> RouteRemoval {
        let removal = try await write("deleting a route") { db -> RouteRemoval in
            guard let route = try RouteRecord
                .filter(RouteRecord.Columns.sourceAgentID == endpoints.sourceAgentID.description)
                .filter(RouteRecord.Columns.sourceMicroservice == endpoints.sourceMicroservice)
                .filter(RouteRecord.Columns.targetAgentID == endpoints.targetAgentID.description)
                .filter(RouteRecord.Columns.targetMicroservice == endpoints.targetMicroservice)
                .fetchOne(db)
            else {
                throw ControllerError(.notFound, "no such route")
            }
            let halves = try LinkHalfRecord
                .filter(LinkHalfRecord.Columns.linkID == route.linkID.description)
                .order(LinkHalfRecord.Columns.side)
                .fetchAll(db)
            try route.delete(db)
            let remaining = try Self.routes(linkID: route.linkID.description, db)
            guard remaining.isEmpty else {
                return RouteRemoval(route: route, halves: halves, remainingRoutes: remaining, removedLink: nil)
            }
            let removedLink = try Self.decommissionLink(route.linkID.description, db)
            return RouteRemoval(route: route, halves: halves, remainingRoutes: [], removedLink: removedLink)
        }
        if removal.removedLink != nil {
            logger.info("deleted link with its last route", metadata: ["fog.link": "\(LogAlias.of(removal.route.linkID))"])
            try await scrubWriteAheadLog()
        }
        return removal
    }

    public func decommissionLink(id: OpaqueID) async throws(ControllerError) -> LinkRemoval {
        let removal = try await write("deleting link \(id)") { db -> LinkRemoval in
            guard let removal = try Self.decommissionLink(id.description, db) else {
                throw ControllerError(.notFound, "no link has id \(id)")
            }
            return removal
        }
        logger.info("deleted link", metadata: ["fog.link": "\(LogAlias.of(id))"])
        try await scrubWriteAheadLog()
        return removal
    }

    public func decommissionAgent(id: OpaqueID) async throws(ControllerError) -> AgentRemoval {
        let removal = try await write("deleting agent \(id)") { db -> AgentRemoval in
            guard let agent = try AgentRecord.fetchOne(db, key: id.description) else {
                throw ControllerError(.notFound, "no agent has id \(id)")
            }
            let linkIDs = try String.fetchAll(
                db, sql: "SELECT DISTINCT linkID FROM linkHalf WHERE agentID = ?", arguments: [id.description])
            var links: [LinkRemoval] = []
            for linkID in linkIDs {
                if let removal = try Self.decommissionLink(linkID, db) { links.append(removal) }
            }
            // Routes went with the links; microservices and outbox commands go with the agent
            // (ON DELETE CASCADE).
            try agent.delete(db)
            return AgentRemoval(agent: agent, links: links)
        }
        logger.info("deleted agent", metadata: ["fog.agent.id": "\(id)", "fog.links.removed": "\(removal.links.count)"])
        try await scrubWriteAheadLog()
        return removal
    }

    // MARK: Helpers inside the caller's transaction

    private static func microservice(agentID: String, name: String, _ db: Database) throws -> MicroserviceRecord? {
        try MicroserviceRecord
            .filter(MicroserviceRecord.Columns.agentID == agentID)
            .filter(MicroserviceRecord.Columns.name == name)
            .fetchOne(db)
    }

    private static func routes(linkID: String, _ db: Database) throws -> [RouteRecord] {
        try RouteRecord.filter(RouteRecord.Columns.linkID == linkID).order(RouteRecord.Columns.channel).fetchAll(db)
    }

    private static func link(between a: String, and b: String, _ db: Database) throws -> LinkRecord? {
        try LinkRecord.fetchOne(
            db,
            sql: """
                SELECT link.* FROM link
                JOIN linkHalf AS ha ON ha.linkID = link.id AND ha.side = 'a'
                JOIN linkHalf AS hb ON hb.linkID = link.id AND hb.side = 'b'
                WHERE (ha.agentID = ? AND hb.agentID = ?) OR (ha.agentID = ? AND hb.agentID = ?)
                ORDER BY link.created, link.id LIMIT 1
                """,
            arguments: [a, b, b, a])
    }

    /// A new link's halves must be its sides A and B on the route's two agents.
    private static func checkNewLink(
        _ link: LinkRecord, halves: [LinkHalfRecord], endpoints: RouteEndpoints
    ) throws(ControllerError) {
        let agents = Set(halves.map(\.agentID))
        guard halves.count == 2, halves.allSatisfy({ $0.linkID == link.id }), Set(halves.map(\.side)) == [.a, .b],
            agents == Set([endpoints.sourceAgentID, endpoints.targetAgentID])
        else {
            throw ControllerError(.invalidGrant, "a new link needs halves A and B on the route's agents, for link \(link.id)")
        }
    }

    /// Deletes one link; its halves and routes go by cascade. Nil if there is no such link.
    private static func decommissionLink(_ linkID: String, _ db: Database) throws -> LinkRemoval? {
        guard let link = try LinkRecord.fetchOne(db, key: linkID) else { return nil }
        let halves = try LinkHalfRecord
            .filter(LinkHalfRecord.Columns.linkID == linkID)
            .order(LinkHalfRecord.Columns.side)
            .fetchAll(db)
        try link.delete(db)
        return LinkRemoval(link: link, halves: halves)
    }
}

extension RouteRecord {
    /// The route's two ends.
    public var endpoints: RouteEndpoints {
        RouteEndpoints(
            sourceAgentID: sourceAgentID, sourceMicroservice: sourceMicroservice, targetAgentID: targetAgentID,
            targetMicroservice: targetMicroservice)
    }
}
