import FogCore
import FogMQTT
import FogTestSupport
import Testing

@Suite struct ComSatControlTests {
    /// Publishes `payload` on the control topic (QoS 1, so it has been handled when this
    /// returns) and expects it to be refused: no response, one more refusal counted.
    private func expectIgnored(
        _ payload: [UInt8], by comsat: ComSatTestBroker, _ what: String, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let refusedBefore = try await comsat.stats().controlRefused
        let responsesBefore = comsat.responseCount
        try await comsat.publishControl(payload)
        let stats = try await comsat.stats()
        #expect(stats.controlRefused == refusedBefore + 1, "\(what) was not refused", sourceLocation: sourceLocation)
        // The stats answer is the only response since.
        #expect(comsat.responseCount == responsesBefore + 1, "\(what) was answered", sourceLocation: sourceLocation)
    }

    @Test func refusesForgedUnsignedStaleReplayedTruncatedOversizedAndMisaddressedCommands() async throws {
        try await ComSatTestBroker.run(options: [("max_control_size", "65536")]) { comsat in
            let link = TestLink()
            try await comsat.install(link.grants)
            let baseline = try await comsat.digest()
            let intruder = TestLink()
            let command = ComSatCommand.addGrants(intruder.grants)
            let request = try ComSatRequest(correlationID: 900, command: command).encoded()
            let controller = comsat.controller

            let forged = EnvelopeSealer(senderID: controller.id, signingKey: SigningKey())
                .seal(kind: .comsatCommand, body: request, recipientID: comsat.comsatID)
            try await expectIgnored(forged, by: comsat, "an envelope signed by another key")

            var unsigned = try comsat.sealedCommand(command, correlationID: 901)
            unsigned.replaceSubrange((unsigned.count - Envelope.signatureSize)..., with: [UInt8](repeating: 0, count: Envelope.signatureSize))
            try await expectIgnored(unsigned, by: comsat, "an envelope with a zeroed signature")
            try await expectIgnored(request, by: comsat, "a bare request without an envelope")

            let otherComSat = controller.controlCodec(comsatID: OpaqueID(), comsatKey: try comsat.comsatPublicKey())
            try await expectIgnored(
                try otherComSat.seal(ComSatRequest(correlationID: 902, command: command)), by: comsat,
                "a command addressed to another ComSat")
            let wrongKind = EnvelopeSealer(senderID: controller.id, signingKey: controller.signingKey)
                .seal(kind: .comsatResponse, body: request, recipientID: comsat.comsatID)
            try await expectIgnored(wrongKind, by: comsat, "a response posing as a command")
            try await expectIgnored(
                try comsat.sealedCommand(command, correlationID: 903, now: .now().advanced(by: .seconds(-3_600))),
                by: comsat, "an hour-old command")

            let genuine = try comsat.sealedCommand(.digest, correlationID: 904)
            try await expectIgnored(Array(genuine.dropLast(7)), by: comsat, "a truncated envelope")
            _ = try await comsat.sendEnvelope(genuine, correlationID: 904)
            try await expectIgnored(genuine, by: comsat, "a replayed envelope")

            let many = (0..<600).map { _ in TestLink().a.grant }
            let oversized = try comsat.sealedCommand(.addGrants(many), correlationID: 905)
            #expect(oversized.count > 65_536)
            try await expectIgnored(oversized, by: comsat, "a command above max_control_size")

            // Only the controller's connection may publish there at all.
            let (half, _) = try await comsat.connect(link.a)
            let fromHalf = try comsat.sealedCommand(command, correlationID: 906)
            do throws(MQTTError) {
                try await half.publish(topic: ComSatTopic.control, payload: fromHalf, qos: .atLeastOnce)
                Issue.record("a link half published on the control topic")
            } catch {
                #expect(error.reasonCode == .notAuthorized, "\(error)")
            }
            await half.disconnect()

            // Still serving, state unchanged, and genuine commands still work.
            #expect(try await comsat.digest() == baseline)
            await comsat.expectRefused(clientID: intruder.a.clientID, username: intruder.a.username, password: intruder.a.secret.text)
            #expect(comsat.broker.isRunning)
            #expect(try await comsat.send(.addGrants(intruder.grants)).itemResults == [.added, .added])
        }
    }

    @Test func thousandsOfMutatedControlMessagesChangeNothing() async throws {
        try await ComSatTestBroker.run { comsat in
            let link = TestLink()
            try await comsat.install(link.grants)
            let baseline = try await comsat.digest()
            let refusedBefore = try await comsat.stats().controlRefused

            // A genuine command that would change state if any mutation of it got through.
            let intruder = TestLink()
            let original = try comsat.sealedCommand(.replaceAll(intruder.grants), correlationID: 77)
            var random = SeededGenerator(seed: 0xC0_5A7)
            let count = 3_000
            for index in 0..<count {
                let mutated = Self.mutate(original, index: index, using: &random)
                #expect(mutated != original)
                try await comsat.publishControl(mutated, qos: .atMostOnce)
            }

            // The QoS 1 digest command is handled after every QoS 0 message before it.
            #expect(try await comsat.digest() == baseline)
            let stats = try await comsat.stats()
            #expect(stats.controlRefused - refusedBefore == UInt64(count))
            #expect(comsat.broker.isRunning)
            let (client, _) = try await comsat.connect(link.a)
            await client.disconnect()
            // The original was never consumed: it still works.
            let response = try await comsat.sendEnvelope(original, correlationID: 77)
            #expect(response.status == .ok)
        }
    }

    /// Bit flips, truncation, extension, splices and random bytes, chosen by `index`.
    private static func mutate(_ original: [UInt8], index: Int, using random: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        switch index % 5 {
        case 0:
            for _ in 0...Int(random.next() % 3) {
                let position = Int(random.next() % UInt64(bytes.count))
                bytes[position] ^= UInt8(1 << (random.next() % 8))
            }
            if bytes == original { bytes[0] ^= 0x01 }
        case 1:
            bytes.removeLast(1 + Int(random.next() % UInt64(bytes.count - 1)))
        case 2:
            bytes += (0...Int(random.next() % 64)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        case 3:
            let start = Int(random.next() % UInt64(bytes.count - 8))
            for offset in 0..<8 {
                bytes[start + offset] = UInt8(truncatingIfNeeded: random.next())
            }
            if bytes == original { bytes[start] ^= 0xFF }
        default:
            bytes = (0..<Int(random.next() % 512)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        }
        return bytes
    }

    @Test func genuineButMalformedAndReplayedAcrossRestartCommandsAreAnsweredAndRefused() async throws {
        try await ComSatTestBroker.run { comsat in
            let sealer = EnvelopeSealer(senderID: comsat.controller.id, signingKey: comsat.controller.signingKey)
            let garbage = sealer.seal(kind: .comsatCommand, body: [1, 0, 0, 0, 0, 0, 0, 0, 9, 99], recipientID: comsat.comsatID)
            let malformed = try await comsat.sendEnvelope(garbage, correlationID: 0)
            #expect(malformed.status == .malformed)
            #expect(malformed.command == nil)
            #expect(!malformed.reason.isEmpty)

            // A captured genuine command, replayed after the ComSat restarted (its in-memory
            // replay window is empty then, and the command is still within the clock skew).
            let link = TestLink()
            let captured = try comsat.sealedCommand(.addGrants(link.grants), correlationID: 5)
            #expect(try await comsat.sendEnvelope(captured, correlationID: 5).itemResults == [.added, .added])
            #expect(try await comsat.send(.removeGrants([link.a.username, link.b.username])).itemResults == [.removed, .removed])
            await comsat.disconnectController()
            try await comsat.broker.restart()
            try await comsat.connectController()
            let replayed = try await comsat.sendEnvelope(captured, correlationID: 5)
            #expect(replayed.status == .refused)
            #expect(try await comsat.digest() == GrantSetDigest())
            // Newer commands are accepted as usual.
            #expect(try await comsat.send(.digest).status == .ok)
        }
    }

    @Test func itemsAreAnsweredOneByOne() async throws {
        try await ComSatTestBroker.run(options: [("max_grants", "4")]) { comsat in
            let link = TestLink()
            let agent = TestPrincipal.agent()
            var stolenClientID = TestPrincipal.agent().grant
            stolenClientID.clientID = link.a.clientID
            var wrongPrefix = TestPrincipal.agent().grant
            wrongPrefix.publishTopics = [link.topicAB]
            var namesController = TestPrincipal.agent().grant
            namesController.username = comsat.controller.username
            var sharedTopic = TestPrincipal.agent().grant
            sharedTopic.subscribeTopics = agent.grant.subscribeTopics
            var otherLinkSameSide = TestLink().a.grant
            otherLinkSameSide.link = link.a.grant.link
            otherLinkSameSide.publishTopics = [link.topicAB]
            otherLinkSameSide.subscribeTopics = [link.topicBA]

            let response = try await comsat.send(
                .addGrants([
                    link.a.grant, link.b.grant, agent.grant, link.a.grant, stolenClientID, wrongPrefix, namesController,
                    sharedTopic, otherLinkSameSide,
                ]))
            #expect(response.status == .ok)
            #expect(
                response.itemResults == [
                    .added, .added, .added, .unchanged, .conflict, .invalid, .conflict, .conflict, .conflict,
                ])
            #expect(response.reason.hasPrefix("5 of 9 items refused; first: item 4 conflict"), "\(response.reason)")

            let fourth = TestPrincipal.agent()
            let fifth = TestPrincipal.agent()
            #expect(try await comsat.send(.addGrants([fourth.grant, fifth.grant])).itemResults == [.added, .capacityExceeded])

            // A removed client id cannot be granted again until its session was swept.
            #expect(try await comsat.send(.removeGrants([agent.username])).itemResults == [.removed])
            #expect(try await comsat.send(.addGrants([agent.grant])).itemResults == [.sweepPending])
            try await comsat.sweep(clientID: agent.clientID)
            #expect(try await comsat.send(.addGrants([agent.grant])).itemResults == [.added])
        }
    }
}
