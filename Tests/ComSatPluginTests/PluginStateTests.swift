import FogCore
import FogTestSupport
import Foundation
import Testing

@testable import ComSatPlugin

/// The plugin's decisions without a broker: the same code the callbacks call, fed with the
/// bytes the broker would pass.
@Suite struct PluginStateTests {
    private final class Fixture {
        let directory: TemporaryDirectory
        let controller = ComSatControllerIdentity(username: "controller", clientID: "controller-main")
        let comsatID = OpaqueID()
        var state: PluginState
        var codec: ComSatControlCodec

        init(options: [(String, String)] = []) throws {
            directory = try TemporaryDirectory(prefix: "comsat-state")
            let configuration = try PluginConfiguration(
                options: (controller.pluginOptions(
                    comsatID: comsatID, grantStore: directory.path + "/grants.journal",
                    identityKeyFile: directory.path + "/identity.key") + options).map { (key: $0.0, value: $0.1) })
            var notes: [String] = []
            state = try PluginState(configuration: configuration, notes: &notes)
            codec = controller.controlCodec(comsatID: comsatID, comsatKey: state.identity)
        }

        /// Closes and reopens the state from its files, as a broker restart does.
        func reopen() throws {
            state.close()
            var notes: [String] = []
            state = try PluginState(configuration: state.configuration, notes: &notes)
        }

        func remove() {
            state.close()
            directory.remove()
        }

        func control(
            _ command: ComSatCommand, correlationID: UInt64 = 1, from clientID: String = "controller-main"
        ) throws -> (ComSatResponse?, [String]) {
            let envelope = try codec.seal(ComSatRequest(correlationID: correlationID, command: command))
            let outcome = with(controller.username) { username in
                with(clientID) { clientID in
                    envelope.withUnsafeBytes { payload in
                        state.handleControl(username: username, clientID: clientID, payload: payload, now: .now())
                    }
                }
            }
            let response = try outcome.response.map { try codec.open(response: $0) }
            let kicks = outcome.kicks.map { kick in
                String(decoding: kick.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            return (response, kicks)
        }

        /// One `pendingSweeps` page as (client ids, next cursor).
        func pendingSweepPage(cursor: UInt32, limit: UInt16) throws -> (clientIDs: [String], next: UInt32?) {
            let (response, _) = try control(.pendingSweeps(cursor: cursor, limit: limit), correlationID: .random(in: 100...(1 << 40)))
            guard case .pendingSweeps(let clientIDs, let next) = response?.body else {
                throw CodecError(code: .invalidValue, offset: 0, message: "pendingSweeps answered \(String(describing: response))")
            }
            return (clientIDs, next)
        }

        func authenticate(
            _ username: String?, _ password: String?, clientID: String?, cleanStart: Bool = true, now: UInt64 = 1_000
        ) -> AuthDecision {
            withOptional(username) { username in
                withOptional(password) { password in
                    withOptional(clientID) { clientID in
                        state.authenticate(
                            username: username, password: password, clientID: clientID, cleanStart: cleanStart, now: now)
                    }
                }
            }
        }

        func authorize(
            _ username: String, clientID: String, topic: String, access: Int32, retain: Bool = false, now: UInt64 = 1_000
        ) -> Bool {
            with(username) { username in
                with(clientID) { clientID in
                    with(topic) { topic in
                        state.authorize(
                            username: username, clientID: clientID, topic: topic, access: access, retain: retain,
                            now: { now })
                    }
                }
            }
        }

        func authorize(_ principal: TestPrincipal, topic: String, access: Int32, retain: Bool = false) -> Bool {
            authorize(principal.username, clientID: principal.clientID, topic: topic, access: access, retain: retain)
        }

        func isAccepted(_ principal: TestPrincipal) -> Bool {
            if case .refused = authenticate(principal.username, principal.secret.text, clientID: principal.clientID) {
                return false
            }
            return true
        }
    }

    private static let read: Int32 = 1
    private static let write: Int32 = 2
    private static let subscribe: Int32 = 4
    private static let unsubscribe: Int32 = 8

    @Test func authenticationDecisions() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let link = TestLink()
        let expiring = TestLink(expiry: 2_000)
        let (response, _) = try fixture.control(.addGrants(link.grants + expiring.grants))
        #expect(response?.itemResults == [.added, .added, .added, .added])

        let controller = fixture.controller
        #expect(isController(fixture.authenticate(controller.username, controller.secret.text, clientID: controller.clientID)))
        #expect(isRefused(fixture.authenticate(controller.username, Secret().text, clientID: controller.clientID)))
        #expect(isRefused(fixture.authenticate(controller.username, controller.secret.text, clientID: link.a.clientID)))
        #expect(isGrant(fixture.authenticate(link.a.username, link.a.secret.text, clientID: link.a.clientID)))
        #expect(isRefused(fixture.authenticate(link.a.username, link.b.secret.text, clientID: link.a.clientID)))
        #expect(isRefused(fixture.authenticate(link.a.username, link.a.secret.text, clientID: link.b.clientID)))
        #expect(isRefused(fixture.authenticate("nobody", link.a.secret.text, clientID: link.a.clientID)))
        #expect(isRefused(fixture.authenticate(nil, nil, clientID: "anonymous")))
        #expect(isRefused(fixture.authenticate(link.a.username, link.a.secret.text, clientID: nil)))
        #expect(isGrant(fixture.authenticate(expiring.a.username, expiring.a.secret.text, clientID: expiring.a.clientID, now: 1_999)))
        #expect(isRefused(fixture.authenticate(expiring.a.username, expiring.a.secret.text, clientID: expiring.a.clientID, now: 2_000)))
        #expect(fixture.state.counters.authAccepted == 3)
        #expect(fixture.state.counters.authRefused == 8)
    }

    @Test func sweepConnectionsNeedAPendingSweepAndCleanStart() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let link = TestLink()
        _ = try fixture.control(.addGrants(link.grants))
        let (response, kicks) = try fixture.control(.removeGrants([link.a.username]), correlationID: 2)
        #expect(response?.itemResults == [.removed])
        #expect(kicks == [link.a.clientID])

        let controller = fixture.controller
        #expect(isRefused(fixture.authenticate(controller.username, controller.secret.text, clientID: link.b.clientID)))
        #expect(
            isRefused(
                fixture.authenticate(controller.username, controller.secret.text, clientID: link.a.clientID, cleanStart: false)))
        #expect(isRefused(fixture.authenticate(controller.username, Secret().text, clientID: link.a.clientID)))
        guard case .sweep = fixture.authenticate(controller.username, controller.secret.text, clientID: link.a.clientID) else {
            Issue.record("the sweep was refused")
            return
        }
        // A sweep connection may do nothing, and works once.
        #expect(!fixture.authorize(controller.username, clientID: link.a.clientID, topic: ComSatTopic.control, access: Self.write))
        #expect(isRefused(fixture.authenticate(controller.username, controller.secret.text, clientID: link.a.clientID)))
        #expect(fixture.state.stats().sweepsCompleted == 1)
        #expect(fixture.state.stats().pendingSweeps == 0)
    }

    @Test func pendingSweepsArePagedStablyAndSurviveARestart() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let links = (0..<3).map { _ in TestLink() }
        let agent = TestPrincipal.agent()
        _ = try fixture.control(.addGrants(links.flatMap(\.grants) + [agent.grant]))
        let empty = try fixture.pendingSweepPage(cursor: 0, limit: 10)
        #expect(empty.clientIDs.isEmpty && empty.next == nil)

        // A resync removes the links: the controller never named their client ids.
        let (response, kicks) = try fixture.control(.replaceAll([agent.grant]), correlationID: 2)
        guard case .replaced(_, let removed) = response?.body else {
            Issue.record("replaceAll answered \(String(describing: response))")
            return
        }
        #expect(removed == 6)
        let removedClientIDs = Set(links.flatMap { [$0.a.clientID, $0.b.clientID] })
        #expect(Set(kicks) == removedClientIDs)

        let first = try fixture.pendingSweepPage(cursor: 0, limit: 4)
        #expect(first.clientIDs.count == 4)
        let cursor = try #require(first.next)
        // A sweep completing between pages does not move the entries not yet listed.
        guard case .sweep = fixture.authenticate(
            fixture.controller.username, fixture.controller.secret.text, clientID: first.clientIDs[0])
        else {
            Issue.record("the sweep of a listed client id was refused")
            return
        }
        let second = try fixture.pendingSweepPage(cursor: cursor, limit: 4)
        #expect(second.next == nil)
        #expect(Set(first.clientIDs + second.clientIDs) == removedClientIDs)
        #expect(first.clientIDs.count + second.clientIDs.count == 6)
        #expect(fixture.state.stats().pendingSweeps == 5)

        // The list comes back from the grant store after a restart, without the completed sweep.
        try fixture.reopen()
        let restarted = try fixture.pendingSweepPage(cursor: 0, limit: 1_000)
        #expect(restarted.next == nil)
        #expect(Set(restarted.clientIDs) == removedClientIDs.subtracting([first.clientIDs[0]]))
        #expect(restarted.clientIDs.count == 5)
    }

    @Test func accessDecisions() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let link = TestLink()
        let other = TestLink()
        let agent = TestPrincipal.agent()
        _ = try fixture.control(.addGrants(link.grants + other.grants + [agent.grant]))
        #expect(fixture.isAccepted(link.a) && fixture.isAccepted(link.b))

        let a = link.a
        #expect(fixture.authorize(a, topic: link.topicAB, access: Self.write))
        #expect(!fixture.authorize(a, topic: link.topicAB, access: Self.write, retain: true))
        #expect(!fixture.authorize(a, topic: link.topicBA, access: Self.write))
        #expect(!fixture.authorize(a, topic: other.topicAB, access: Self.write))
        #expect(fixture.authorize(a, topic: link.topicBA, access: Self.subscribe))
        #expect(fixture.authorize(a, topic: link.topicBA, access: Self.read))
        #expect(!fixture.authorize(a, topic: link.topicAB, access: Self.read))
        #expect(!fixture.authorize(a, topic: other.topicBA, access: Self.read))
        for pattern in ["#", "l/#", "l/+", "+/+", "$SYS/#", link.topicBA + "/#"] {
            #expect(!fixture.authorize(a, topic: pattern, access: Self.subscribe), "\(pattern)")
        }
        #expect(fixture.authorize(a, topic: "#", access: Self.unsubscribe))
        #expect(!fixture.authorize(a.username, clientID: link.b.clientID, topic: link.topicAB, access: Self.write))
        #expect(!fixture.authorize("stranger", clientID: "stranger", topic: link.topicAB, access: Self.read))

        // The other link has not opted in: its halves may subscribe but not publish.
        #expect(!fixture.authorize(other.a, topic: other.topicAB, access: Self.write))
        #expect(fixture.authorize(other.a, topic: other.topicBA, access: Self.subscribe))
        // Agents are not links: no opt-in needed.
        #expect(fixture.authorize(agent, topic: agent.grant.publishTopics[0], access: Self.write))
        #expect(fixture.authorize(agent, topic: agent.grant.subscribeTopics[0], access: Self.subscribe))

        let controller = fixture.controller
        func controllerMay(_ topic: String, _ access: Int32, retain: Bool = false) -> Bool {
            fixture.authorize(controller.username, clientID: controller.clientID, topic: topic, access: access, retain: retain)
        }
        #expect(controllerMay(ComSatTopic.control, Self.write))
        #expect(controllerMay(agent.grant.subscribeTopics[0], Self.write))
        #expect(controllerMay("p/" + OpaqueID().description, Self.write))
        #expect(!controllerMay("c/" + OpaqueID().description, Self.write, retain: true))
        #expect(!controllerMay(link.topicAB, Self.write))
        #expect(!controllerMay("c/a/b", Self.write))
        #expect(!controllerMay("c/+", Self.write))
        #expect(controllerMay("r/+", Self.subscribe))
        #expect(controllerMay("q/+", Self.subscribe))
        #expect(controllerMay(ComSatTopic.response, Self.subscribe))
        #expect(controllerMay(agent.grant.publishTopics[0], Self.read))
        #expect(!controllerMay("r/#", Self.subscribe))
        #expect(!controllerMay("#", Self.subscribe))
        #expect(!controllerMay(link.topicAB, Self.read))
        #expect(!controllerMay("$SYS/broker/uptime", Self.read))
    }

    @Test func optInIsPersistedAndWithdrawnWithAHalf() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let link = TestLink()
        _ = try fixture.control(.addGrants(link.grants))
        #expect(fixture.isAccepted(link.a))
        #expect(!fixture.authorize(link.a, topic: link.topicAB, access: Self.write))
        guard case .grant(_, let completed) = fixture.authenticate(link.b.username, link.b.secret.text, clientID: link.b.clientID)
        else {
            Issue.record("B was refused")
            return
        }
        #expect(completed)
        #expect(fixture.authorize(link.a, topic: link.topicAB, access: Self.write))
        fixture.state.tick()

        try fixture.reopen()
        #expect(fixture.state.stats().optedInLinks == 1)
        #expect(fixture.authorize(link.a, topic: link.topicAB, access: Self.write))

        // A replaced half (rotated secret) keeps the opt-in; a removed one withdraws it.
        var rotated = link.b.grant
        rotated.secretHash = Secret().hash
        let (replaced, kicks) = try fixture.control(.addGrants([rotated]), correlationID: 2)
        #expect(replaced?.itemResults == [.replaced])
        #expect(kicks == [link.b.clientID])
        #expect(fixture.authorize(link.a, topic: link.topicAB, access: Self.write))
        _ = try fixture.control(.removeGrants([link.b.username]), correlationID: 3)
        #expect(!fixture.authorize(link.a, topic: link.topicAB, access: Self.write))
        #expect(fixture.state.stats().optedInLinks == 0)
    }

    @Test func controlMessagesFromAnyoneButTheControllerAreIgnored() throws {
        let fixture = try Fixture(options: [("max_control_size", "2048")])
        defer { fixture.remove() }
        let link = TestLink()
        let (fromHalf, _) = try fixture.control(.addGrants(link.grants), from: link.a.clientID)
        #expect(fromHalf == nil)
        let big = (0..<40).map { _ in TestLink().a.grant }
        let (oversized, _) = try fixture.control(.addGrants(big), correlationID: 2)
        #expect(oversized == nil)
        #expect(fixture.state.counters.controlRefused == 2)
        #expect(fixture.state.store.count == 0)
        let (digest, _) = try fixture.control(.digest, correlationID: 3)
        #expect(digest?.body == .digest(GrantSetDigest()))
    }

    private func isController(_ decision: AuthDecision) -> Bool {
        if case .controller = decision { return true }
        return false
    }

    private func isGrant(_ decision: AuthDecision) -> Bool {
        if case .grant = decision { return true }
        return false
    }

    private func isRefused(_ decision: AuthDecision) -> Bool {
        if case .refused = decision { return true }
        return false
    }
}

/// The UTF-8 bytes of `text` as the broker would pass them (a C string's bytes).
private func with<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    Array(text.utf8).withUnsafeBytes(body)
}

private func withOptional<R>(_ text: String?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let text else { return body(nil) }
    return with(text) { body($0) }
}
