import FogCore
import Testing

@Suite struct SequencedAgentCommandTests {
    @Test func everyCommandRoundTrips() throws {
        for (index, command) in AgentMessageSamples.commands.enumerated() {
            let original = SequencedAgentCommand(sequence: UInt64(index + 1), command: command)
            let decoded = try SequencedAgentCommand(decoding: try original.encoded())
            #expect(decoded == original)
            if case .assignLinkHalf(let sent) = command, case .assignLinkHalf(let received) = decoded.command {
                #expect(received.preSharedKey == sent.preSharedKey)
            }
        }
        #expect(try SequencedAgentCommand(sequence: 9, command: .ping).encoded() == [0, 0, 0, 0, 0, 0, 0, 9, 5])
    }

    @Test func descriptionsLeaveOutKeysAndConfiguration() throws {
        let assignment = AgentMessageSamples.assignment
        let text = "\(AgentCommand.assignLinkHalf(assignment)) \(assignment) \(String(reflecting: assignment))"
        #expect(!text.contains(assignment.preSharedKey.text))
        #expect(text.contains(assignment.linkID.description))
    }

    @Test func decodingIsStrict() throws {
        func code(_ bytes: [UInt8]) -> CodecError.Code? {
            do {
                _ = try SequencedAgentCommand(decoding: bytes)
                return nil
            } catch {
                return error.code
            }
        }
        #expect(code([0, 0, 0, 0, 0, 0, 0, 0, 5]) == .invalidValue)  // sequence 0
        #expect(code([0, 0, 0, 0, 0, 0, 0, 1, 9]) == .invalidValue)  // unknown tag
        #expect(code([0, 0, 0, 0, 0, 0, 0, 1, 5, 0]) == .trailingBytes)
        #expect(code([0, 0, 0, 0, 0, 0, 0, 1]) == .truncated)
        #expect(code([UInt8](repeating: 1, count: SequencedAgentCommand.maximumSize + 1)) == .lengthTooLarge)
        // Names that would escape a directory or carry separators are refused.
        for name in ["..", ".", "a/b", "", "with space", String(repeating: "n", count: 65)] {
            var writer = ByteWriter()
            writer.writeUInt64(1)
            writer.writeUInt8(2)
            try writer.writeLengthPrefixed16(Array(name.utf8))
            #expect(code(writer.bytes) != nil, "name \(name)")
            #expect(throws: CodecError.self) {
                try SequencedAgentCommand(sequence: 1, command: .removeMicroservice(name: name)).encoded()
            }
        }
        // A link half whose topics are not `l/` topics, or equal, is refused both ways.
        for (publish, subscribe) in [("c/x", "l/y"), ("l/x", "l/x"), ("l/x", "l/#")] {
            var assignment = AgentMessageSamples.assignment
            assignment.publishTopic = publish
            assignment.subscribeTopic = subscribe
            #expect(throws: CodecError.self) {
                try SequencedAgentCommand(sequence: 1, command: .assignLinkHalf(assignment)).encoded()
            }
        }
    }

    @Test func encoderEnforcesEveryLimit() {
        var spec = MicroserviceSpec(name: "svc", executablePath: "/bin/svc")
        spec.configuration = [UInt8](repeating: 0x20, count: MicroserviceSpec.maximumConfigurationSize + 1)
        var tooManyArguments = MicroserviceSpec(name: "svc", executablePath: "/bin/svc")
        tooManyArguments.arguments = Array(repeating: "a", count: MicroserviceSpec.maximumArgumentCount + 1)
        var emptyPath = MicroserviceSpec(name: "svc", executablePath: "")
        emptyPath.environment = ["K": "V"]
        var wildcardRoute = AgentMessageSamples.assignment
        wildcardRoute.routes = [LinkRoute(channel: 1, direction: .inbound, localTopic: "a/+/b")]
        var badUsername = AgentMessageSamples.assignment
        badUsername.username = "user name"
        var tooManyRoutes = AgentMessageSamples.assignment
        tooManyRoutes.routes = Array(
            repeating: LinkRoute(channel: 1, direction: .inbound, localTopic: "t"),
            count: LinkHalfAssignment.maximumRouteCount + 1)
        let commands: [AgentCommand] = [
            .deployMicroservice(spec), .deployMicroservice(tooManyArguments), .deployMicroservice(emptyPath),
            .assignLinkHalf(wildcardRoute), .assignLinkHalf(badUsername), .assignLinkHalf(tooManyRoutes),
        ]
        for command in commands {
            #expect(throws: CodecError.self, "\(command)") {
                try SequencedAgentCommand(sequence: 1, command: command).encoded()
            }
        }
        #expect(throws: CodecError.self) { try SequencedAgentCommand(sequence: 0, command: .ping).encoded() }
    }

    @Test func sealerAddressesAndSealsToTheAgent() throws {
        let controllerID = OpaqueID()
        let controllerKey = SigningKey()
        let agentID = OpaqueID()
        let agentKey = AgreementKey()
        let sealer = AgentCommandSealer(
            controllerID: controllerID, signingKey: controllerKey, agentID: agentID,
            agentAgreementKey: agentKey.publicKey)
        let now = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)
        let bytes = try sealer.seal(sequence: 3, command: .assignLinkHalf(AgentMessageSamples.assignment), now: now)
        let envelope = try Envelope(decoding: bytes)
        #expect(envelope.isSealed)
        #expect(envelope.kind == .agentCommand)
        #expect(envelope.recipient == agentID)
        #expect(envelope.sender == controllerID)
        var verifier = EnvelopeVerifier(
            trustedSenders: [controllerID: controllerKey.publicKey], localID: agentID, agreementKey: agentKey)
        let opened = try verifier.open(bytes, now: now)
        #expect(
            try SequencedAgentCommand(decoding: opened.body).command == .assignLinkHalf(AgentMessageSamples.assignment))
        // Every retry is a new envelope.
        #expect(
            try sealer.seal(sequence: 3, command: .ping, now: now) != sealer.seal(sequence: 3, command: .ping, now: now)
        )
    }
}
