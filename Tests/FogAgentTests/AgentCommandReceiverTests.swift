import FogAgent
import FogCore
import Testing

/// The agent accepts exactly the controller's commands for itself, each once, in order.
@Suite struct AgentCommandReceiverTests {
    static let now = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)

    let controllerID = OpaqueID()
    let controllerKey = SigningKey()
    let agentID = OpaqueID()
    let agentKey = AgreementKey()

    var sealer: AgentCommandSealer {
        AgentCommandSealer(
            controllerID: controllerID, signingKey: controllerKey, agentID: agentID,
            agentAgreementKey: agentKey.publicKey)
    }

    func receiver(lastApplied: UInt64 = 0) -> AgentCommandReceiver {
        AgentCommandReceiver(
            controllerID: controllerID, controllerSigningKey: controllerKey.publicKey, agentID: agentID,
            agreementKey: agentKey, lastAppliedSequence: lastApplied)
    }

    func rejection(
        _ bytes: [UInt8], by receiver: inout AgentCommandReceiver, at time: Timestamp = now
    ) -> AgentCommandError.Code? {
        do {
            let delivery = try receiver.receive(bytes, now: time)
            Issue.record("accepted: \(delivery)")
            return nil
        } catch {
            return error.code
        }
    }

    @Test func appliesTheNextCommandAndRecordsIt() throws {
        var receiver = receiver()
        let command = AgentCommand.deployMicroservice(MicroserviceSpec(name: "sensor", executablePath: "/bin/sensor"))
        let delivery = try receiver.receive(
            try sealer.seal(sequence: 1, command: command, now: Self.now), now: Self.now)
        #expect(delivery == .apply(SequencedAgentCommand(sequence: 1, command: command)))
        #expect(receiver.lastAppliedSequence == 0)
        receiver.markApplied(1)
        #expect(receiver.lastAppliedSequence == 1)
        #expect(
            try receiver.receive(try sealer.seal(sequence: 2, command: .ping, now: Self.now), now: Self.now)
                == .apply(SequencedAgentCommand(sequence: 2, command: .ping)))
    }

    @Test func rejectsACommandReSignedByAnotherKey() throws {
        var receiver = receiver()
        let genuine = try sealer.seal(sequence: 1, command: .ping, now: Self.now)
        let unsigned = Array(genuine.dropLast(Envelope.signatureSize))
        let resigned = unsigned + SigningKey().signature(for: Envelope.signatureContext + unsigned)
        #expect(rejection(resigned, by: &receiver) == .signatureInvalid)
        let forged = try AgentCommandSealer(
            controllerID: controllerID, signingKey: SigningKey(), agentID: agentID,
            agentAgreementKey: agentKey.publicKey
        ).seal(sequence: 1, command: .ping, now: Self.now)
        #expect(rejection(forged, by: &receiver) == .signatureInvalid)
        let stranger = try AgentCommandSealer(
            controllerID: OpaqueID(), signingKey: controllerKey, agentID: agentID, agentAgreementKey: agentKey.publicKey
        ).seal(sequence: 1, command: .ping, now: Self.now)
        #expect(rejection(stranger, by: &receiver) == .unknownSender)
        // None of the rejections consumed anything: the genuine command still applies.
        #expect(
            try receiver.receive(genuine, now: Self.now) == .apply(SequencedAgentCommand(sequence: 1, command: .ping)))
    }

    @Test func rejectsAReplayedCommand() throws {
        var receiver = receiver()
        let bytes = try sealer.seal(sequence: 1, command: .ping, now: Self.now)
        _ = try receiver.receive(bytes, now: Self.now)
        receiver.markApplied(1)
        #expect(rejection(bytes, by: &receiver, at: Self.now.advanced(by: .seconds(1))) == .replayed)
        // Replayed before it was marked applied: still the envelope replay check.
        let second = try sealer.seal(sequence: 2, command: .ping, now: Self.now)
        _ = try receiver.receive(second, now: Self.now)
        #expect(rejection(second, by: &receiver) == .replayed)
        // Once the replay window forgot it, the clock skew refuses it.
        #expect(rejection(bytes, by: &receiver, at: Self.now.advanced(by: .seconds(121))) == .stale)
    }

    @Test func rejectsACommandAddressedToAnotherAgent() throws {
        var receiver = receiver()
        let otherAgent = AgreementKey()
        let toOther = try AgentCommandSealer(
            controllerID: controllerID, signingKey: controllerKey, agentID: OpaqueID(),
            agentAgreementKey: otherAgent.publicKey
        ).seal(sequence: 1, command: .ping, now: Self.now)
        #expect(rejection(toOther, by: &receiver) == .wrongRecipient)
        // Addressed to this agent but sealed to another agent's key: nobody here can open it.
        let sealedToOther = try AgentCommandSealer(
            controllerID: controllerID, signingKey: controllerKey, agentID: agentID,
            agentAgreementKey: otherAgent.publicKey
        ).seal(sequence: 1, command: .ping, now: Self.now)
        #expect(rejection(sealedToOther, by: &receiver) == .unsealFailed)
        // Sealed to this agent's key but addressed to another: still refused by address.
        let addressedToOther = try AgentCommandSealer(
            controllerID: controllerID, signingKey: controllerKey, agentID: OpaqueID(),
            agentAgreementKey: agentKey.publicKey
        ).seal(sequence: 1, command: .ping, now: Self.now)
        #expect(rejection(addressedToOther, by: &receiver) == .wrongRecipient)
    }

    @Test func rejectsUnsealedMisdirectedAndMalformedEnvelopes() throws {
        var receiver = receiver()
        let envelopes = EnvelopeSealer(senderID: controllerID, signingKey: controllerKey)
        let body = try SequencedAgentCommand(sequence: 1, command: .ping).encoded()
        #expect(
            rejection(
                envelopes.seal(kind: .agentCommand, body: body, recipientID: agentID, now: Self.now), by: &receiver)
                == .notSealed)
        #expect(
            rejection(
                envelopes.seal(kind: .agentCommand, body: body, sealedTo: agentKey.publicKey, now: Self.now),
                by: &receiver)
                == .wrongRecipient)
        #expect(
            rejection(
                envelopes.seal(
                    kind: .agentReply, body: body, recipientID: agentID, sealedTo: agentKey.publicKey, now: Self.now),
                by: &receiver) == .unexpectedKind)
        let badBody = envelopes.seal(
            kind: .agentCommand, body: body + [0], recipientID: agentID, sealedTo: agentKey.publicKey, now: Self.now)
        #expect(rejection(badBody, by: &receiver) == .malformed)
        #expect(rejection([0xFE, 0x01], by: &receiver) == .malformed)
        #expect(
            rejection(
                try sealer.seal(sequence: 1, command: .ping, now: Self.now.advanced(by: .seconds(-121))), by: &receiver)
                == .stale)
    }

    @Test func reDeliveryOfAnAppliedSequenceIsADuplicateNotAppliedTwice() throws {
        var receiver = receiver()
        let command = AgentCommand.removeMicroservice(name: "old")
        #expect(
            try receiver.receive(try sealer.seal(sequence: 1, command: command, now: Self.now), now: Self.now)
                == .apply(SequencedAgentCommand(sequence: 1, command: command)))
        receiver.markApplied(1)
        // The acknowledgement was lost; the controller retries with a fresh envelope.
        for retry in 0..<3 {
            let again = try sealer.seal(sequence: 1, command: command, now: Self.now.advanced(by: .seconds(retry)))
            #expect(try receiver.receive(again, now: Self.now.advanced(by: .seconds(retry))) == .duplicate(sequence: 1))
        }
        #expect(receiver.lastAppliedSequence == 1)
        // After a restart from the persisted value, old numbers are still duplicates.
        var restarted = self.receiver(lastApplied: receiver.lastAppliedSequence)
        let afterRestart = try sealer.seal(sequence: 1, command: command, now: Self.now)
        #expect(try restarted.receive(afterRestart, now: Self.now) == .duplicate(sequence: 1))
        #expect(
            try restarted.receive(try sealer.seal(sequence: 2, command: .ping, now: Self.now), now: Self.now)
                == .apply(SequencedAgentCommand(sequence: 2, command: .ping)))
    }

    @Test func aGapIsRefusedUntilTheMissingCommandArrives() throws {
        var receiver = receiver(lastApplied: 4)
        let third = try sealer.seal(sequence: 7, command: .ping, now: Self.now)
        do {
            _ = try receiver.receive(third, now: Self.now)
            Issue.record("a command skipping ahead was accepted")
        } catch {
            #expect(error.code == .sequenceGap)
            #expect(error.sequence == 7)
            #expect(error.message.contains("expected 5"))
        }
        #expect(receiver.lastAppliedSequence == 4)
        // The controller resends from 5 (the status reports 4); each applies in turn.
        for sequence in UInt64(5)...7 {
            let bytes = try sealer.seal(sequence: sequence, command: .ping, now: Self.now)
            #expect(
                try receiver.receive(bytes, now: Self.now)
                    == .apply(SequencedAgentCommand(sequence: sequence, command: .ping)))
            receiver.markApplied(sequence)
        }
        #expect(receiver.lastAppliedSequence == 7)
    }
}
