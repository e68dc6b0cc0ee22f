import FogCore
import Testing

@Suite struct AgentReplyTests {
    @Test func everyReplyRoundTrips() throws {
        for reply in AgentMessageSamples.replies {
            #expect(try AgentReply(decoding: try reply.encoded()) == reply)
        }
        let ack = AgentReply.acknowledgement(AgentAcknowledgement(sequence: 2, result: .applied))
        #expect(try ack.encoded() == [1, 0, 0, 0, 0, 0, 0, 0, 2, 1])
    }

    @Test func statusIsCompact() throws {
        let status = AgentStatus(
            lastAppliedSequence: 5,
            microservices: (0..<10).map { .init(name: "svc-\($0)", state: .running, restarts: 0) },
            linkHalves: (0..<10).map { _ in
                .init(linkID: OpaqueID(), side: .a, state: .up, queuedMessages: 0, queuedBytes: 0)
            })
        // tag + sequence + 2 counts + 10 × (2 + 5 name + 1 + 4) + 10 × (16 + 1 + 1 + 8 + 8)
        #expect(try AgentReply.status(status).encoded().count == 1 + 8 + 4 + 10 * 12 + 10 * 34)
    }

    @Test func decodingIsStrict() {
        func code(_ bytes: [UInt8]) -> CodecError.Code? {
            do {
                _ = try AgentReply(decoding: bytes)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code([]) == .truncated)
        #expect(code([4]) == .invalidValue)
        #expect(code([1, 0, 0, 0, 0, 0, 0, 0, 2, 4]) == .invalidValue)
        #expect(code([1, 0, 0, 0, 0, 0, 0, 0, 2, 1, 0]) == .trailingBytes)
        #expect(code([2, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x01]) == .lengthTooLarge)
        #expect(code([3] + [UInt8](repeating: 7, count: 16) + [3] + [UInt8](repeating: 0, count: 32)) == .invalidValue)
        #expect(code([UInt8](repeating: 1, count: AgentReply.maximumSize + 1)) == .lengthTooLarge)
    }

    @Test func replySealerSignsForTheController() throws {
        let agentID = OpaqueID()
        let agentKey = SigningKey()
        let controllerID = OpaqueID()
        let sealer = AgentReplySealer(agentID: agentID, signingKey: agentKey, controllerID: controllerID)
        let now = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)
        let reply = AgentMessageSamples.replies[4]
        let bytes = try sealer.seal(reply, now: now)
        var verifier = EnvelopeVerifier(
            trustedSenders: [agentID: agentKey.publicKey], localID: controllerID, agreementKey: nil,
            requiresRecipient: true, acceptedKinds: [.agentReply])
        let opened = try verifier.open(bytes, now: now)
        #expect(!opened.isSealed)
        #expect(try AgentReply(decoding: opened.body) == reply)
    }
}
