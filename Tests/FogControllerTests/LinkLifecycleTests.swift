import FogAgent
import FogController
import FogCore
import FogIntegrationSupport
import FogTestSupport
import Foundation
import Testing

/// Routes, links and decommission end to end: real ComSat with the plugin, real provisioned
/// agents running `AgentSession`s, the real dispatcher carrying commands and secret reports.
@Suite struct LinkLifecycleTests {
    static let configuration = AgentCommandConfiguration(retryInterval: .milliseconds(300))

    /// The rig plus the services `fog-controller run` wires, with the secret handler set.
    struct Controller {
        let rig: CommandChannelRig
        let links: LinkService
        let microservices: MicroserviceService

        init(_ rig: CommandChannelRig) async {
            self.rig = rig
            links = LinkService(
                store: rig.database, fleet: rig.provisioning.fleet, commands: rig.dispatcher, logger: ComSatFixture.logger)
            microservices = MicroserviceService(store: rig.database, commands: rig.dispatcher, logger: ComSatFixture.logger)
            let links = links
            await rig.dispatcher.setLinkSecretHandler { agentID, report in await links.secretReported(report, by: agentID) }
        }

        func deploy(_ agent: String, _ name: String) async throws {
            _ = try await microservices.deploy(agent: agent, MicroserviceSpec(name: name, executablePath: "/usr/bin/\(name)"))
        }
    }

    static func assignments(_ applier: RecordingApplier) -> [LinkHalfAssignment] {
        applier.applied.compactMap { command in
            if case .assignLinkHalf(let assignment) = command { return assignment }
            return nil
        }
    }

    static func routeUpdates(_ applier: RecordingApplier) -> [(OpaqueID, Grant.LinkSide, [LinkRoute])] {
        applier.applied.compactMap { command in
            if case .setLinkRoutes(let linkID, let side, let routes) = command { return (linkID, side, routes) }
            return nil
        }
    }

    static func wipes(_ applier: RecordingApplier) -> [(OpaqueID, Grant.LinkSide)] {
        applier.applied.compactMap { command in
            if case .stopAndWipeLinkHalf(let linkID, let side) = command { return (linkID, side) }
            return nil
        }
    }

    /// route add → each agent gets only its half; secret reports → grants on the ComSat and
    /// the link up (a report by the wrong agent ignored); both halves connect with their
    /// secrets; route rm → grants gone, credentials refused, halves wiped, and no byte of the
    /// link left in the database file or its WAL.
    @Test func routeAddGrantsOnReportsAndRouteRemovalWipesEverything() async throws {
        try await CommandChannelRig.run(configuration: Self.configuration) { rig in
            let controller = await Controller(rig)
            let stateA = try await rig.provisionAgent("edge-a")
            let stateB = try await rig.provisionAgent("edge-b")
            let applierA = RecordingApplier()
            let applierB = RecordingApplier()
            try await rig.withAgent("edge-a", applier: applierA) { agentA in
                try await rig.withAgent("edge-b", applier: applierB) { agentB in
                    try await controller.deploy("edge-a", "temp")
                    try await controller.deploy("edge-b", "store")
                    let insertion = try await controller.links.addRoute(
                        from: MicroserviceAddress(agent: "edge-a", microservice: "temp"),
                        to: MicroserviceAddress(agent: "edge-b", microservice: "store"))
                    #expect(insertion.linkCreated)
                    #expect(insertion.link.comsatID == rig.fixture.comsat.id)
                    let link = insertion.link.id
                    try await waitUntil("both agents applied their half", timeout: .seconds(20)) {
                        !Self.assignments(applierA).isEmpty && !Self.assignments(applierB).isEmpty
                    }
                    let a = try #require(Self.assignments(applierA).first)
                    let b = try #require(Self.assignments(applierB).first)
                    #expect(Self.assignments(applierA).count == 1 && Self.assignments(applierB).count == 1)
                    let halves = try await rig.database.linkHalves(linkID: link)
                    #expect(halves.map(\.agentID) == [stateA.agentID, stateB.agentID])
                    // Each half only: its own side, identity, topics and routes.
                    #expect(a.linkID == link && a.side == .a && b.linkID == link && b.side == .b)
                    #expect(a.username == halves[0].username && a.clientID == halves[0].clientID)
                    #expect(b.username == halves[1].username && b.clientID == halves[1].clientID)
                    #expect(a.publishTopic == b.subscribeTopic && a.subscribeTopic == b.publishTopic)
                    #expect(a.routes == [LinkRoute(channel: 1, direction: .outbound, localTopic: "ms/temp/out")])
                    #expect(b.routes == [LinkRoute(channel: 1, direction: .inbound, localTopic: "ms/store/in")])
                    #expect(a.preSharedKey.bytes == b.preSharedKey.bytes)
                    #expect(a.comsatURL == rig.fixture.comsat.url)
                    // Nothing in A's half names B (its agent id, name, identity) and vice versa.
                    let bytesA = try a.encoded()
                    let bytesB = try b.encoded()
                    for (bytes, peer, peerHalf, peerName) in [
                        (bytesA, stateB.agentID, halves[1], "edge-b"), (bytesB, stateA.agentID, halves[0], "edge-a"),
                    ] {
                        for needle in [
                            Array(peer.description.utf8), peer.bytes, Array(peerHalf.username.utf8),
                            Array(peerHalf.clientID.utf8), Array(peerName.utf8),
                        ] {
                            #expect(!bytes.containsRun(needle))
                        }
                    }
                    // No PSK at rest: the database never holds it (the outbox is encrypted).
                    let pskBytes = a.preSharedKey.bytes
                    let pskText = Array(a.preSharedKey.text.utf8)
                    let database = rig.databaseBytes()
                    #expect(!database.containsRun(pskBytes) && !database.containsRun(pskText))

                    let session = rig.provisioning.session
                    // The two agents' grants; the provisioning keys' go after their grace period.
                    try await waitUntil("only the agents' grants left", timeout: .seconds(10)) {
                        try await rig.fixture.stats(session).grants == 2
                    }
                    let grantsBefore: UInt64 = 2
                    let secretA = Secret()
                    let secretB = Secret()
                    await agentA.session.report(LinkSecretReport(linkID: link, side: .a, secretHash: secretA.hash))
                    try await waitUntil("half A granted", timeout: .seconds(20)) {
                        try await rig.database.linkHalves(linkID: link).first?.secretHash == secretA.hash
                    }
                    #expect(try await rig.database.link(id: link)?.state == .pending)
                    // Agent B claims side A: verified sender, but not its half — ignored.
                    let forged = Secret()
                    await agentB.session.report(LinkSecretReport(linkID: link, side: .a, secretHash: forged.hash))
                    await agentB.session.report(LinkSecretReport(linkID: link, side: .b, secretHash: secretB.hash))
                    try await waitUntil("link up", timeout: .seconds(20)) {
                        try await rig.database.link(id: link)?.state == .up
                    }
                    #expect(try await rig.database.linkHalves(linkID: link).map(\.secretHash) == [secretA.hash, secretB.hash])
                    #expect(try await rig.fixture.stats(session).grants == grantsBefore + 2)
                    for (half, secret) in zip(halves, [secretA, secretB]) {
                        let result = await rig.fixture.connectionResult(
                            clientID: half.clientID, username: half.username, password: secret.text)
                        #expect(result == nil, "half \(half.side) with its own secret")
                    }
                    let forgedResult = await rig.fixture.connectionResult(
                        clientID: halves[0].clientID, username: halves[0].username, password: forged.text)
                    #expect(forgedResult == .notAuthorized)

                    // Positive control for the scan below: the link is on disk now.
                    let present = rig.databaseBytes().containsRun(Array(link.description.utf8))
                    #expect(present)
                    // Decommission by removing the only route.
                    let removal = try await controller.links.removeRoute(
                        from: MicroserviceAddress(agent: "edge-a", microservice: "temp"),
                        to: MicroserviceAddress(agent: "edge-b", microservice: "store"))
                    #expect(removal.linksRemoved == [link.description])
                    #expect(removal.grantsRevoked == 2 && removal.halvesWiped == 2 && removal.warnings.isEmpty)
                    #expect(try await rig.database.link(id: link) == nil)
                    #expect(try await rig.fixture.stats(session).grants == grantsBefore)
                    for (half, secret) in zip(halves, [secretA, secretB]) {
                        let result = await rig.fixture.connectionResult(
                            clientID: half.clientID, username: half.username, password: secret.text)
                        #expect(result == .notAuthorized, "half \(half.side) after removal")
                    }
                    try await waitUntil("both halves told to wipe", timeout: .seconds(20)) {
                        Self.wipes(applierA).map(\.1) == [.a] && Self.wipes(applierB).map(\.1) == [.b]
                    }
                    try await waitUntil("the wipe commands acknowledged", timeout: .seconds(20)) {
                        let outboxA = try await rig.outbox(stateA.agentID)
                        let outboxB = try await rig.outbox(stateB.agentID)
                        return outboxA.isEmpty && outboxB.isEmpty
                    }
                    Self.expectNoTrace(of: link, halves: halves, hashes: [secretA.hash, secretB.hash, forged.hash], in: rig)
                }
            }
        }
    }

    /// A second route on the same agents reuses the link and updates both halves; removing
    /// it updates them again; `link rm` and `agent rm` decommission the rest.
    @Test func secondRouteReusesTheLinkAndRemovalsDecommission() async throws {
        try await CommandChannelRig.run(configuration: Self.configuration) { rig in
            let controller = await Controller(rig)
            let stateA = try await rig.provisionAgent("edge-a")
            let stateB = try await rig.provisionAgent("edge-b")
            let applierA = RecordingApplier()
            let applierB = RecordingApplier()
            try await rig.withAgent("edge-a", applier: applierA) { _ in
                try await rig.withAgent("edge-b", applier: applierB) { _ in
                    for (agent, name) in [("edge-a", "temp"), ("edge-a", "sink"), ("edge-b", "store"), ("edge-b", "alarm")] {
                        try await controller.deploy(agent, name)
                    }
                    let temp = MicroserviceAddress(agent: "edge-a", microservice: "temp")
                    let sink = MicroserviceAddress(agent: "edge-a", microservice: "sink")
                    let store = MicroserviceAddress(agent: "edge-b", microservice: "store")
                    let alarm = MicroserviceAddress(agent: "edge-b", microservice: "alarm")
                    let first = try await controller.links.addRoute(from: temp, to: store)
                    // The reverse direction on the same pair rides the same link, next channel.
                    let second = try await controller.links.addRoute(from: alarm, to: sink)
                    #expect(!second.linkCreated && second.link.id == first.link.id && second.route.channel == 2)
                    let link = first.link.id
                    try await waitUntil("both halves got the new routes", timeout: .seconds(20)) {
                        !Self.routeUpdates(applierA).isEmpty && !Self.routeUpdates(applierB).isEmpty
                    }
                    let updateA = try #require(Self.routeUpdates(applierA).last)
                    let updateB = try #require(Self.routeUpdates(applierB).last)
                    #expect(updateA.0 == link && updateA.1 == .a)
                    #expect(
                        updateA.2 == [
                            LinkRoute(channel: 1, direction: .outbound, localTopic: "ms/temp/out"),
                            LinkRoute(channel: 2, direction: .inbound, localTopic: "ms/sink/in"),
                        ])
                    #expect(
                        updateB.2 == [
                            LinkRoute(channel: 1, direction: .inbound, localTopic: "ms/store/in"),
                            LinkRoute(channel: 2, direction: .outbound, localTopic: "ms/alarm/out"),
                        ])
                    // Same route twice, unknown microservice, microservice in use.
                    await #expect(throws: ControllerError.self) { try await controller.links.addRoute(from: temp, to: store) }
                    do throws(ControllerError) {
                        _ = try await controller.links.addRoute(
                            from: MicroserviceAddress(agent: "edge-a", microservice: "nosuch"), to: store)
                        Issue.record("a route from an unknown microservice was added")
                    } catch {
                        #expect(error.code == .notFound && error.message.contains("nosuch"))
                    }
                    do throws(ControllerError) {
                        try await controller.microservices.remove(agent: "edge-a", name: "temp")
                        Issue.record("a microservice in use was removed")
                    } catch {
                        #expect(error.code == .inUse)
                    }

                    let partial = try await controller.links.removeRoute(from: alarm, to: sink)
                    #expect(partial.linksRemoved.isEmpty && partial.halvesUpdated == 2)
                    try await waitUntil("halves back to one route", timeout: .seconds(20)) {
                        Self.routeUpdates(applierA).last?.2.count == 1 && Self.routeUpdates(applierB).last?.2.count == 1
                    }
                    #expect(try await rig.database.routes(linkID: link).count == 1)

                    // Report both halves so there are grants to revoke, then remove the link.
                    let hashes = [Secret().hash, Secret().hash]
                    await controller.links.secretReported(LinkSecretReport(linkID: link, side: .a, secretHash: hashes[0]), by: stateA.agentID)
                    await controller.links.secretReported(LinkSecretReport(linkID: link, side: .b, secretHash: hashes[1]), by: stateB.agentID)
                    #expect(try await rig.database.link(id: link)?.state == .up)
                    let halves = try await rig.database.linkHalves(linkID: link)
                    let removed = try await controller.links.removeLink(id: link)
                    #expect(removed.linksRemoved == [link.description] && removed.grantsRevoked == 2)
                    #expect(try await rig.database.allRoutes().isEmpty)
                    try await controller.microservices.remove(agent: "edge-a", name: "temp")
                    try await waitUntil("both halves wiped", timeout: .seconds(20)) {
                        Self.wipes(applierA).count == 1 && Self.wipes(applierB).count == 1
                    }
                    try await waitUntil("outboxes drained", timeout: .seconds(20)) {
                        let outboxA = try await rig.outbox(stateA.agentID)
                        let outboxB = try await rig.outbox(stateB.agentID)
                        return outboxA.isEmpty && outboxB.isEmpty
                    }
                    Self.expectNoTrace(of: link, halves: halves, hashes: hashes, in: rig)

                    // agent rm: a new link, then remove agent A — B wipes its half, A's grant goes.
                    let third = try await controller.links.addRoute(from: sink, to: store)
                    let recordA = try #require(try await rig.database.agent(id: stateA.agentID))
                    let agentRemoval = try await controller.links.removeAgent(named: "edge-a")
                    #expect(agentRemoval.linksRemoved == [third.link.id.description])
                    #expect(agentRemoval.halvesWiped == 1 && agentRemoval.grantsRevoked == 3)
                    #expect(try await rig.database.agent(named: "edge-a") == nil)
                    #expect(try await rig.database.allMicroservices().map(\.name).sorted() == ["alarm", "store"])
                    try await waitUntil("agent B wiped its half of the third link", timeout: .seconds(20)) {
                        Self.wipes(applierB).contains { $0.0 == third.link.id && $0.1 == .b }
                    }
                    #expect(
                        await rig.fixture.connectionResult(
                            clientID: recordA.clientID, username: recordA.id.description, password: stateA.secret.text)
                            == .notAuthorized)
                    do throws(ControllerError) {
                        _ = try await controller.links.removeAgent(named: "edge-a")
                        Issue.record("a removed agent was removed again")
                    } catch {
                        #expect(error.code == .notFound)
                    }
                }
            }
        }
    }

    /// Neither the database file nor its WAL holds any byte string of the link.
    static func expectNoTrace(of link: OpaqueID, halves: [LinkHalfRecord], hashes: [SecretHash], in rig: CommandChannelRig) {
        var needles: [(String, [UInt8])] = [("link id", Array(link.description.utf8)), ("raw link id", link.bytes)]
        for half in halves {
            needles += [
                ("username", Array(half.username.utf8)), ("client id", Array(half.clientID.utf8)),
                ("publish topic", Array(half.publishTopicID.description.utf8)),
                ("subscribe topic", Array(half.subscribeTopicID.description.utf8)),
                ("raw topic", half.publishTopicID.bytes),
            ]
        }
        needles += hashes.flatMap { [("hash", Array($0.description.utf8)), ("raw hash", $0.bytes)] }
        let path = rig.fixture.home.databasePath
        for file in [path, path + "-wal"] {
            let bytes = fileBytes(file)
            for (name, needle) in needles {
                let found = bytes.containsRun(needle)
                #expect(!found, "\(name) of the removed link is still in \(file)")
            }
        }
    }
}
