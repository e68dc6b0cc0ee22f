import FogCore
import Testing
import FogTestSupport

/// The ComSat control protocol's types (Sources/FogCore/ComSat), shared by the plugin and
/// the controller.
@Suite struct ComSatCodecTests {
    @Test func requestsRoundTrip() throws {
        let link = TestLink()
        let agent = TestPrincipal.agent()
        let commands: [ComSatCommand] = [
            .addGrants(link.grants + [agent.grant]), .removeGrants([link.a.username, "x"]), .replaceAll([]),
            .replaceAll([agent.grant]), .digest, .list(cursor: 7, limit: 100), .stats,
            .pendingSweeps(cursor: 0, limit: 1_000), .pendingSweeps(cursor: 12, limit: 3),
        ]
        for (index, command) in commands.enumerated() {
            let request = ComSatRequest(correlationID: UInt64(index) << 40 | 3, command: command)
            #expect(try ComSatRequest.decode(try request.encoded()) == request)
        }
    }

    @Test func responsesRoundTrip() throws {
        var stats = ComSatStats()
        stats.grants = 3
        stats.controlRefused = 9
        stats.journalCompactions = 1
        let responses = [
            ComSatResponse(correlationID: 1, command: .addGrants, status: .ok, body: .items([.added, .conflict, .unchanged])),
            ComSatResponse(
                correlationID: 2, command: .removeGrants, status: .storageFailed, reason: "disk full", body: .items([.removed])),
            ComSatResponse(correlationID: 3, command: .replaceAll, status: .ok, body: .replaced(items: [.replaced], removed: 4)),
            ComSatResponse(correlationID: 4, command: .digest, status: .ok, body: .digest(try GrantSetDigest(TestLink().grants))),
            ComSatResponse(
                correlationID: 5, command: .list, status: .ok,
                body: .list(entries: [.init(username: "u", digest: try GrantDigest(of: TestLink().a.grant))], nextCursor: 9)),
            ComSatResponse(correlationID: 6, command: .list, status: .ok, body: .list(entries: [], nextCursor: nil)),
            ComSatResponse(correlationID: 7, command: .stats, status: .ok, body: .stats(stats)),
            ComSatResponse(
                correlationID: 9, command: .pendingSweeps, status: .ok,
                body: .pendingSweeps(clientIDs: ["c-1", TestLink().a.clientID], nextCursor: 2)),
            ComSatResponse(
                correlationID: 10, command: .pendingSweeps, status: .ok, body: .pendingSweeps(clientIDs: [], nextCursor: nil)),
            ComSatResponse(correlationID: 0, command: nil, status: .malformed, reason: "truncated", body: .none),
            ComSatResponse(correlationID: 8, command: .addGrants, status: .refused, reason: "replay", body: .none),
        ]
        for response in responses {
            #expect(try ComSatResponse.decode(response.encoded()) == response)
        }
    }

    @Test func grantRulesAreEnforced() {
        let link = TestLink()
        let agent = TestPrincipal.agent().grant
        #expect(throws: Never.self) { try link.a.grant.validate() }
        #expect(throws: Never.self) { try agent.validate() }

        func code(_ change: (inout Grant) -> Void, base: Grant = link.a.grant) -> GrantError.Code? {
            var grant = base
            change(&grant)
            do {
                try grant.validate()
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code { $0.username = "" } == .invalidUsername)
        #expect(code { $0.username = String(repeating: "u", count: 129) } == .invalidUsername)
        #expect(code { $0.username = "a b" } == .invalidUsername)
        #expect(code { $0.clientID = "é" } == .invalidClientID)
        #expect(code { $0.publishTopics = ["l/#"] } == .invalidTopic)
        #expect(code { $0.publishTopics = ["l/a/b"] } == .invalidTopic)
        #expect(code { $0.publishTopics = ["$SYS/x"] } == .invalidTopic)
        #expect(code { $0.publishTopics = ["l/"] } == .invalidTopic)
        #expect(code { $0.publishTopics = ["c/abc"] } == .topicNotAllowed)
        #expect(code { $0.publishTopics = ["l/x", "l/x"] } == .topicNotAllowed)
        #expect(code { $0.subscribeTopics = $0.publishTopics } == .topicNotAllowed)
        #expect(code { $0.publishTopics = [] } == .tooManyTopics)
        #expect(code { $0.publishTopics = (0..<17).map { "l/t\($0)" } } == .tooManyTopics)
        #expect(code { $0.link = nil } == .invalidLinkBinding)
        #expect(code({ $0.link = link.a.grant.link }, base: agent) == .invalidLinkBinding)
        #expect(code({ $0.subscribeTopics = ["r/x"] }, base: agent) == .topicNotAllowed)
    }

    @Test func setDigestIsOrderIndependentAndIncremental() throws {
        let grants = (0..<20).map { _ in TestLink().a.grant }
        let forward = try GrantSetDigest(grants)
        let backward = try GrantSetDigest(grants.reversed())
        #expect(forward == backward)
        #expect(forward.count == 20)

        var incremental = GrantSetDigest()
        for grant in grants { incremental.insert(try GrantDigest(of: grant)) }
        incremental.remove(try GrantDigest(of: grants[3]))
        var without = grants
        without.remove(at: 3)
        #expect(incremental == (try GrantSetDigest(without)))

        // Any field change changes the grant's digest.
        var changed = grants[0]
        changed.expiry = 1
        #expect(try GrantDigest(of: changed) != GrantDigest(of: grants[0]))
        changed = grants[0]
        changed.secretHash = Secret().hash
        #expect(try GrantDigest(of: changed) != GrantDigest(of: grants[0]))
    }

    /// Random and mutated inputs never crash the decoders; they decode or throw a CodecError.
    @Test func decodersSurviveHostileInput() throws {
        var random = SeededGenerator(seed: 42)
        let link = TestLink()
        let samples = [
            try ComSatRequest(correlationID: 1, command: .addGrants(link.grants)).encoded(),
            try ComSatRequest(correlationID: 2, command: .removeGrants(["a", "b"])).encoded(),
            ComSatResponse(correlationID: 3, command: .list, status: .ok, body: .list(entries: [], nextCursor: 1)).encoded(),
            ComSatResponse(correlationID: 4, command: .stats, status: .ok, body: .stats(ComSatStats())).encoded(),
        ]
        var decoded = 0
        for iteration in 0..<20_000 {
            var bytes = samples[iteration % samples.count]
            switch iteration % 4 {
            case 0:
                let position = Int(random.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: random.next())
            case 1:
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count))))
            case 2:
                bytes += [UInt8(truncatingIfNeeded: random.next())]
            default:
                bytes = (0..<Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            }
            if (try? ComSatRequest.decode(bytes)) != nil { decoded += 1 }
            if (try? ComSatResponse.decode(bytes)) != nil { decoded += 1 }
        }
        // Some single-byte changes (in a correlation id or a name) still decode.
        #expect(decoded > 0)
        #expect(decoded < 20_000)
    }

    @Test func controllerIdentityProducesPluginOptions() {
        let identity = ComSatControllerIdentity(username: "ctl", clientID: "ctl-1")
        let comsatID = OpaqueID()
        let options = Dictionary(
            uniqueKeysWithValues: identity.pluginOptions(comsatID: comsatID, grantStore: "/g", identityKeyFile: "/k"))
        #expect(options["controller_secret_hash"] == identity.secret.hash.description)
        #expect(options["controller_public_key"] == identity.signingKey.publicKey.description)
        #expect(options["comsat_id"] == comsatID.description)
        #expect(!options.values.contains(identity.secret.text))
    }
}
