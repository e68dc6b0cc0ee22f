public import FogCore
internal import Foundation
public import Logging

/// Routes, links and their decommission: what `fogctl route|link|agent rm` do.
///
/// `addRoute` reuses the link between the two agents or creates one on the least-loaded
/// healthy ComSat (`LinkPlacement`) with an opaque id, opaque per-half usernames, client ids
/// and topics, and a fresh pre-shared key that exists only inside the two `assignLinkHalf`
/// commands (sealed to each agent by the dispatcher) and is never stored. Each half's
/// assignment carries only its own routes: the producer's half an outbound route from the
/// producer's output topic, the consumer's half an inbound route into the consumer's input
/// topic, on the same channel; nothing names the peer agent.
///
/// A half's grant is installed when its agent reports the hash of the secret it chose
/// (`secretReported`); the link is `up` once both halves are granted.
///
/// Decommission deletes the rows first (one transaction, WAL scrubbed), then revokes the
/// grants on the ComSat (which kicks the clients and sweeps their sessions) and tells every
/// remaining agent holding a half to stop and wipe it.
///
/// Changes run one at a time (`serially`), so the commands for one link reach its agents in
/// the order the changes were made, even when admin requests overlap.
public actor LinkService {
    private let store: any ControllerStore
    private let fleet: ComSatFleet?
    private let commands: (any AgentCommandSender)?
    private let logger: Logger
    private var tail: Task<Void, Never>?

    /// `fleet` and `commands` may be nil in a process that serves only listings; changes
    /// then fail with `.commandsUnavailable` / `.noHealthyComSat`.
    public init(store: any ControllerStore, fleet: ComSatFleet?, commands: (any AgentCommandSender)?, logger: Logger) {
        self.store = store
        self.fleet = fleet
        self.commands = commands
        self.logger = logger
    }

    // MARK: Routes

    /// Adds the route `source` → `target`, creating the link between their agents if needed.
    /// - Throws: `.notFound` (agent or microservice), `.nameTaken` (route exists),
    ///   `.noHealthyComSat`, `.invalidRequest` (link full), `.commandsUnavailable`.
    public func addRoute(from source: MicroserviceAddress, to target: MicroserviceAddress) async throws(ControllerError)
        -> RouteInsertion
    {
        try await serially { () async throws(ControllerError) -> RouteInsertion in
            try await self.addRouteNow(from: source, to: target)
        }
    }

    private func addRouteNow(
        from source: MicroserviceAddress, to target: MicroserviceAddress
    ) async throws(ControllerError) -> RouteInsertion {
        let commands = try requireCommands()
        let sourceAgent = try await requireMicroservice(source)
        let targetAgent = try await requireMicroservice(target)
        let endpoints = RouteEndpoints(
            sourceAgentID: sourceAgent.id, sourceMicroservice: source.microservice, targetAgentID: targetAgent.id,
            targetMicroservice: target.microservice)
        // Place only when there is no link yet; the store re-checks inside its transaction.
        var comsat: ComSatRecord?
        if try await store.link(between: sourceAgent.id, and: targetAgent.id) == nil {
            guard let fleet else {
                throw ControllerError(.noHealthyComSat, "this controller process holds no ComSat sessions")
            }
            comsat = try await LinkPlacement(store: store, fleet: fleet).choose()
        }
        // Without a placement the link exists and the store uses it; should it vanish in
        // between, the candidate's unknown ComSat fails the foreign key instead of storing it.
        let candidate = LinkRecord(comsatID: comsat?.id ?? OpaqueID())
        let (forward, backward) = (OpaqueID(), OpaqueID())
        let candidateHalves = [
            LinkHalfRecord(
                linkID: candidate.id, side: .a, agentID: sourceAgent.id, publishTopicID: forward, subscribeTopicID: backward),
            LinkHalfRecord(
                linkID: candidate.id, side: .b, agentID: targetAgent.id, publishTopicID: backward, subscribeTopicID: forward),
        ]
        let insertion = try await store.insertRoute(endpoints, newLink: candidate, newHalves: candidateHalves)
        var audit = logger
        audit[metadataKey: "fog.link"] = "\(LogAlias.of(insertion.link.id))"
        audit[metadataKey: "fog.route.id"] = "\(insertion.route.id)"
        if insertion.linkCreated {
            do {
                try await assign(insertion, commands: commands)
            } catch {
                // Nothing may keep a link whose halves were never (fully) told about it.
                let removal = try? await store.decommissionLink(id: insertion.link.id)
                if let removal { _ = await finishDecommission([removal], extra: [], skipping: nil, commands: commands) }
                throw error
            }
            audit.notice(
                "audit: link created", metadata: ["fog.comsat.id": "\(insertion.link.comsatID)", "fog.admin.action": "route.add"])
        } else {
            try await updateRoutes(linkID: insertion.link.id, halves: insertion.halves, routes: insertion.routes, commands: commands)
            audit.notice("audit: route added to a link", metadata: ["fog.admin.action": "route.add"])
        }
        return insertion
    }

    /// Removes the route; its link goes too when it was the last one.
    public func removeRoute(
        from source: MicroserviceAddress, to target: MicroserviceAddress
    ) async throws(ControllerError) -> LinkDecommission {
        try await serially { () async throws(ControllerError) -> LinkDecommission in
            let commands = try await self.requireCommands()
            let sourceAgent = try await self.requireAgent(source.agent)
            let targetAgent = try await self.requireAgent(target.agent)
            let endpoints = RouteEndpoints(
                sourceAgentID: sourceAgent.id, sourceMicroservice: source.microservice, targetAgentID: targetAgent.id,
                targetMicroservice: target.microservice)
            let removal: RouteRemoval
            do throws(ControllerError) {
                removal = try await self.store.deleteRoute(endpoints)
            } catch where error.code == .notFound {
                throw ControllerError(.notFound, "no route \(source) -> \(target)")
            }
            let what = "route \(source) -> \(target)"
            self.logger.notice(
                "audit: route removed",
                metadata: [
                    "fog.route.id": "\(removal.route.id)", "fog.link": "\(LogAlias.of(removal.route.linkID))",
                    "fog.admin.action": "route.rm",
                ])
            if let link = removal.removedLink {
                var result = await self.finishDecommission([link], extra: [], skipping: nil, commands: commands)
                result.removed = what
                return result
            }
            var warnings: [String] = []
            do throws(ControllerError) {
                try await self.updateRoutes(
                    linkID: removal.route.linkID, halves: removal.halves, routes: removal.remainingRoutes, commands: commands)
            } catch {
                warnings.append("the halves were not told their new routes: \(error.message)")
            }
            return LinkDecommission(removed: what, halvesUpdated: warnings.isEmpty ? removal.halves.count : 0, warnings: warnings)
        }
    }

    // MARK: Links and agents

    /// Deletes the link with its routes, revokes its grants and wipes both halves.
    public func removeLink(id: OpaqueID) async throws(ControllerError) -> LinkDecommission {
        try await serially { () async throws(ControllerError) -> LinkDecommission in
            let commands = try await self.requireCommands()
            let removal = try await self.store.decommissionLink(id: id)
            self.logger.notice("audit: link removed", metadata: ["fog.link": "\(LogAlias.of(id))", "fog.admin.action": "link.rm"])
            var result = await self.finishDecommission([removal], extra: [], skipping: nil, commands: commands)
            result.removed = "link \(id)"
            return result
        }
    }

    /// Deletes the agent, its microservices and every link it has a half of; revokes the
    /// agent's and the halves' grants and wipes the halves the other agents run.
    public func removeAgent(named name: String) async throws(ControllerError) -> LinkDecommission {
        try await serially { () async throws(ControllerError) -> LinkDecommission in
            let commands = try await self.requireCommands()
            let agent = try await self.requireAgent(name)
            let removal = try await self.store.decommissionAgent(id: agent.id)
            self.logger.notice(
                "audit: agent removed",
                metadata: [
                    "fog.agent.id": "\(agent.id)", "fog.links.removed": "\(removal.links.count)", "fog.admin.action": "agent.rm",
                ])
            let agentPrincipal = RevokedPrincipal(
                comsatID: agent.homeComSatID, username: agent.id.description, clientID: agent.clientID)
            var result = await self.finishDecommission(
                removal.links, extra: [agentPrincipal], skipping: agent.id, commands: commands)
            result.removed = "agent \(name)"
            return result
        }
    }

    // MARK: Secret reports

    /// Handles a verified link secret report from `agentID` (the dispatcher's link-secret
    /// handler): records the hash, installs the half's grant on the link's ComSat (replacing
    /// it when the hash changed) and marks the link up once both halves are granted.
    /// A report for a half the agent does not run, or for no known link, is logged and ignored.
    public func secretReported(_ report: LinkSecretReport, by agentID: OpaqueID) async {
        var logger = logger
        logger[metadataKey: "fog.link"] = "\(LogAlias.of(report.linkID))"
        logger[metadataKey: "fog.link.side"] = "\(report.side)"
        logger[metadataKey: "fog.agent.id"] = "\(agentID)"
        let scoped = logger
        do {
            try await serially { () async throws(ControllerError) in
                try await self.applySecretReport(report, by: agentID, logger: scoped)
            }
        } catch {
            logger.warning("link secret report not applied", metadata: ["fog.error": "\(error)"])
        }
    }

    private func applySecretReport(_ report: LinkSecretReport, by agentID: OpaqueID, logger: Logger) async throws(ControllerError) {
        let side: LinkHalfRecord.Side = report.side == .a ? .a : .b
        guard let link = try await store.link(id: report.linkID) else {
            logger.info("ignored a secret report for an unknown link")
            return
        }
        let halves = try await store.linkHalves(linkID: link.id)
        guard let half = halves.first(where: { $0.side == side }) else {
            logger.warning("ignored a secret report for a half the link does not have")
            return
        }
        guard half.agentID == agentID else {
            logger.warning("ignored a secret report from an agent that does not run this half")
            return
        }
        if half.secretHash == report.secretHash, link.state == .up {
            return
        }
        let recorded = try await store.reportSecretHash(report.secretHash, linkID: link.id, side: side)
        guard let grant = recorded.grant else { return }
        guard let fleet else {
            logger.warning("secret hash recorded, but this process has no ComSat sessions to install the grant")
            return
        }
        try await fleet.install([grant], on: link.comsatID)
        logger.info("link half granted", metadata: ["fog.comsat.id": "\(link.comsatID)"])
        let others = halves.filter { $0.side != side }
        if others.allSatisfy({ $0.secretHash != nil }), link.state != .up {
            try await store.setLinkState(.up, linkID: link.id)
            logger.notice("link up", metadata: ["fog.comsat.id": "\(link.comsatID)"])
        }
    }

    // MARK: Helpers

    /// Sends each half its assignment: this side's ComSat address, topics, identity, the
    /// link's fresh pre-shared key and this side's routes only.
    private func assign(_ insertion: RouteInsertion, commands: any AgentCommandSender) async throws(ControllerError) {
        guard let comsat = try await store.comsat(id: insertion.link.comsatID) else {
            throw ControllerError(.notFound, "ComSat \(insertion.link.comsatID) of link \(insertion.link.id) is not enrolled")
        }
        let certificate = try comsat.certificateAuthorityPEM()
        let preSharedKey = Secret()
        for half in insertion.halves {
            let assignment = LinkHalfAssignment(
                linkID: insertion.link.id, side: half.side.grantSide, comsatURL: comsat.url,
                certificateAuthorityPEM: certificate, publishTopic: half.publishTopic, subscribeTopic: half.subscribeTopic,
                username: half.username, clientID: half.clientID, preSharedKey: preSharedKey,
                routes: Self.linkRoutes(of: half, halves: insertion.halves, routes: insertion.routes))
            try await commands.send(.assignLinkHalf(assignment), to: half.agentID)
        }
    }

    private func updateRoutes(
        linkID: OpaqueID, halves: [LinkHalfRecord], routes: [RouteRecord], commands: any AgentCommandSender
    ) async throws(ControllerError) {
        for half in halves {
            try await commands.send(
                .setLinkRoutes(
                    linkID: linkID, side: half.side.grantSide,
                    routes: Self.linkRoutes(of: half, halves: halves, routes: routes)),
                to: half.agentID)
        }
    }

    /// After the rows are gone: revoke the principals, then queue a wipe for every half on an
    /// agent other than `skipping` (a deleted agent has no outbox and no grant any more).
    private func finishDecommission(
        _ links: [LinkRemoval], extra: [RevokedPrincipal], skipping: OpaqueID?, commands: any AgentCommandSender
    ) async -> LinkDecommission {
        var result = LinkDecommission(removed: "", linksRemoved: links.map(\.link.id.description))
        let principals = extra + links.flatMap(\.principals)
        if let fleet {
            do {
                try await fleet.revoke(principals)
                result.grantsRevoked = principals.count
            } catch {
                result.warnings.append(
                    "grants not revoked now (\(error.message)); each ComSat drops them at its next synchronisation")
                logger.warning("revocation failed", metadata: ["fog.error": "\(error)"])
            }
        } else {
            result.warnings.append("this process has no ComSat sessions; each ComSat drops the grants at its next synchronisation")
        }
        for link in links {
            for half in link.halves where half.agentID != skipping {
                do {
                    try await commands.send(.stopAndWipeLinkHalf(linkID: link.link.id, side: half.side.grantSide), to: half.agentID)
                    result.halvesWiped += 1
                } catch {
                    result.warnings.append("agent \(half.agentID) was not told to wipe its half of link \(link.link.id): \(error.message)")
                }
            }
        }
        return result
    }

    /// The routes one half carries: outbound from the producer's output topic on the
    /// producer's half, inbound into the consumer's input topic on the other. On a link whose
    /// halves run on one agent, side A is the producer's.
    static func linkRoutes(of half: LinkHalfRecord, halves: [LinkHalfRecord], routes: [RouteRecord]) -> [LinkRoute] {
        let loopback = Set(halves.map(\.agentID)).count == 1
        return routes.map { route in
            let producerSide: LinkHalfRecord.Side =
                loopback ? .a : halves.first { $0.agentID == route.sourceAgentID }?.side ?? .a
            return half.side == producerSide
                ? LinkRoute(channel: route.channel, direction: .outbound, localTopic: LocalBusTopic.output(of: route.sourceMicroservice))
                : LinkRoute(channel: route.channel, direction: .inbound, localTopic: LocalBusTopic.input(of: route.targetMicroservice))
        }
    }

    private func requireCommands() throws(ControllerError) -> any AgentCommandSender {
        guard let commands else {
            throw ControllerError(.commandsUnavailable, "this controller process delivers no agent commands")
        }
        return commands
    }

    private func requireAgent(_ name: String) async throws(ControllerError) -> AgentRecord {
        guard let agent = try await store.agent(named: name) else {
            throw ControllerError(.notFound, "no agent is named '\(name)'")
        }
        return agent
    }

    private func requireMicroservice(_ address: MicroserviceAddress) async throws(ControllerError) -> AgentRecord {
        let agent = try await requireAgent(address.agent)
        guard try await store.microservice(agentID: agent.id, name: address.microservice) != nil else {
            throw ControllerError(.notFound, "agent '\(address.agent)' has no microservice '\(address.microservice)'")
        }
        return agent
    }

    /// Runs `body` after every change started before it finished.
    private func serially<T: Sendable>(
        _ body: @escaping @Sendable () async throws(ControllerError) -> T
    ) async throws(ControllerError) -> T {
        let previous = tail
        let task = Task { () -> Result<T, ControllerError> in
            await previous?.value
            do throws(ControllerError) {
                return .success(try await body())
            } catch {
                return .failure(error)
            }
        }
        tail = Task { _ = await task.value }
        return try await task.value.get()
    }
}

extension LinkService {
    /// `links` as the admin API lists them, with each half's last reported state.
    ///
    /// The state shown is the stored one (`pending` until both halves are granted, then `up`)
    /// unless a granted link is `down` now: the controller has no live session to its ComSat,
    /// or a half's agent last reported that half down.
    public func summaries(of links: [LinkRecord]) async throws(ControllerError) -> [LinkSummary] {
        let agentNames = Dictionary(uniqueKeysWithValues: try await store.agents().map { ($0.id, $0.name) })
        let comsatNames = Dictionary(uniqueKeysWithValues: try await store.comsats().map { ($0.id, $0.name) })
        var statuses: [OpaqueID: AgentStatus] = [:]
        var summaries: [LinkSummary] = []
        for link in links {
            let halves = try await store.linkHalves(linkID: link.id)
            let routeCount = try await store.routes(linkID: link.id).count
            var described: [LinkSummary.Half] = []
            var halfReportedDown = false
            for half in halves {
                if statuses[half.agentID] == nil, let status = await commands?.status(of: half.agentID) {
                    statuses[half.agentID] = status
                }
                let reported = statuses[half.agentID]?.linkHalves.first {
                    $0.linkID == link.id && $0.side == half.side.grantSide
                }
                halfReportedDown = halfReportedDown || reported?.state == .down
                described.append(
                    LinkSummary.Half(
                        side: half.side.grantSide.description, agentID: half.agentID.description,
                        agent: agentNames[half.agentID] ?? half.agentID.description, granted: half.secretHash != nil,
                        reportedState: reported.map { Self.stateName($0.state) }, queuedMessages: reported?.queuedMessages,
                        queuedBytes: reported?.queuedBytes))
            }
            var state = link.state
            if state == .up {
                // Without a fleet (the admin API alone, in tests) connectivity is unknown.
                var comsatConnected = true
                if let fleet {
                    comsatConnected = await fleet.session(for: link.comsatID)?.isConnected ?? false
                }
                if !comsatConnected || halfReportedDown { state = .down }
            }
            summaries.append(
                LinkSummary(
                    id: link.id.description, comsatID: link.comsatID.description, comsat: comsatNames[link.comsatID],
                    state: state.rawValue, routeCount: routeCount, halves: described, created: link.created))
        }
        return summaries
    }

    static func stateName(_ state: AgentStatus.LinkHalf.State) -> String {
        switch state {
        case .connecting: "connecting"
        case .handshaking: "handshaking"
        case .up: "up"
        case .down: "down"
        }
    }
}

extension LinkService {
    /// The agent's last reported status, for listings; nil without a dispatcher.
    public func commandsStatus(of agentID: OpaqueID) async -> AgentStatus? {
        await commands?.status(of: agentID)
    }
}
