import FogCore
import FogTestSupport
import Testing

/// The agent's side: only the controller named by the key's fingerprint can answer, and only
/// this agent's request.
@Suite struct ProvisioningRequesterTests {
    let fixture = ProvisioningFixture()
    var now: Timestamp { ProvisioningFixture.now }

    func code(_ body: () throws(ProvisioningError) -> Void) -> ProvisioningError.Code? {
        do {
            try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test func completesTheExchangeWithTheIssuingController() throws {
        let requester = try fixture.requester()
        let received = try fixture.responder.openRequest(requester.requestEnvelope, now: now)
        #expect(received.keyID == fixture.key.id)
        #expect(received.nonce == requester.requestNonce)
        #expect(received.request.signingKey == fixture.agentSigningKey.publicKey)
        #expect(received.request.agreementKey == fixture.agentAgreementKey.publicKey)
        #expect(received.request.secretHash == fixture.agentSecret.hash)
        #expect(received.request.name == "sensor-7")
        #expect(received.request.labels == ["site": "north"])

        let answer = try fixture.responder.accept(received, assignment: fixture.assignment, now: now)
        let response = try requester.open(answer, now: now.advanced(by: .seconds(1)))
        #expect(response.controllerSigningKey == fixture.controllerSigningKey.publicKey)
        #expect(response.requestNonce == requester.requestNonce)
        #expect(response.outcome == .accepted(fixture.assignment))
        // The acceptance travels sealed: the assignment is not readable on the wire.
        let envelope = try Envelope(decoding: answer)
        #expect(envelope.isSealed)
        #expect(envelope.recipient == fixture.key.id)
        #expect(!answer.containsRun(Array(fixture.assignment.comsatURL.utf8)))
    }

    @Test func refusalsAreSignedAndSealedWhenPossible() throws {
        let requester = try fixture.requester()
        let received = try fixture.responder.openRequest(requester.requestEnvelope, now: now)
        for reason in ProvisioningRefusal.Reason.allCases {
            let refusal = ProvisioningRefusal(reason: reason, detail: "detail for \(reason)")
            let sealed = try fixture.responder.refuse(
                keyID: received.keyID, requestNonce: received.nonce, refusal: refusal,
                sealedTo: received.request.agreementKey, now: now)
            #expect(try requester.open(sealed, now: now).outcome == .refused(refusal))
            let plain = try fixture.responder.refuse(
                keyID: received.keyID, requestNonce: received.nonce, refusal: refusal, now: now)
            #expect(try Envelope(decoding: plain).isSealed == false)
            #expect(try requester.open(plain, now: now).outcome == .refused(refusal))
        }
    }

    @Test func rejectsAnAnswerSignedByAnotherControllerKey() throws {
        let requester = try fixture.requester()
        let received = try fixture.responder.openRequest(requester.requestEnvelope, now: now)
        // An impostor with its own key (and even the real controller's id) cannot answer.
        let impostor = ProvisioningResponder(controllerID: fixture.controllerID, signingKey: SigningKey())
        let accepted = try impostor.accept(received, assignment: fixture.assignment, now: now)
        #expect(
            code { () throws(ProvisioningError) in _ = try requester.open(accepted, now: now) }
                == .controllerKeyMismatch)
        let refused = try impostor.refuse(
            keyID: received.keyID, requestNonce: received.nonce, refusal: .init(reason: .alreadyUsed), now: now)
        #expect(
            code { () throws(ProvisioningError) in _ = try requester.open(refused, now: now) } == .controllerKeyMismatch
        )

        // The real controller's public key in the body, but a signature by another key.
        let genuine = try fixture.responder.refuse(
            keyID: received.keyID, requestNonce: received.nonce, refusal: .init(reason: .expired), now: now)
        let resigned = Self.resign(genuine, with: SigningKey())
        #expect(
            code { () throws(ProvisioningError) in _ = try requester.open(resigned, now: now) } == .signatureInvalid)
    }

    @Test func onlyTheIntendedAgentKeyOpensTheAcceptance() throws {
        let requester = try fixture.requester()
        let received = try fixture.responder.openRequest(requester.requestEnvelope, now: now)
        // A second agent racing for the same key sees the winner's answer on the same topic.
        let rival = try ProvisioningRequester(
            key: fixture.key, signingKey: SigningKey(), agreementKey: AgreementKey(), secretHash: Secret().hash,
            now: now)
        let answer = try fixture.responder.accept(received, assignment: fixture.assignment, now: now)
        #expect(code { () throws(ProvisioningError) in _ = try rival.open(answer, now: now) } == .unsealFailed)
        // A plain refusal meant for the rival is recognised as answering another request.
        let rivalRefusal = try fixture.responder.refuse(
            keyID: fixture.key.id, requestNonce: rival.requestNonce, refusal: .init(reason: .alreadyUsed), now: now)
        #expect(
            code { () throws(ProvisioningError) in _ = try requester.open(rivalRefusal, now: now) }
                == .answersAnotherRequest)
        #expect(try rival.open(rivalRefusal, now: now).outcome == .refused(.init(reason: .alreadyUsed)))
    }

    @Test func rejectsStaleMisaddressedUnsealedAndForeignKinds() throws {
        let requester = try fixture.requester()
        let received = try fixture.responder.openRequest(requester.requestEnvelope, now: now)
        let answer = try fixture.responder.accept(received, assignment: fixture.assignment, now: now)
        #expect(
            code { () throws(ProvisioningError) in _ = try requester.open(answer, now: now.advanced(by: .seconds(121)))
            } == .stale)
        #expect(
            code { () throws(ProvisioningError) in _ = try requester.open(answer, now: now.advanced(by: .seconds(-121)))
            } == .stale)

        let sealer = EnvelopeSealer(senderID: fixture.controllerID, signingKey: fixture.controllerSigningKey)
        let body = try ProvisioningResponse(
            requestNonce: requester.requestNonce, controllerSigningKey: fixture.controllerSigningKey.publicKey,
            outcome: .accepted(fixture.assignment)
        ).encoded()
        let unsealed = sealer.seal(kind: .provisioningResponse, body: body, recipientID: fixture.key.id, now: now)
        #expect(code { () throws(ProvisioningError) in _ = try requester.open(unsealed, now: now) } == .notSealed)
        let misaddressed = sealer.seal(
            kind: .provisioningResponse, body: body, recipientID: OpaqueID(),
            sealedTo: fixture.agentAgreementKey.publicKey, now: now)
        #expect(
            code { () throws(ProvisioningError) in _ = try requester.open(misaddressed, now: now) } == .wrongRecipient)
        let wrongKind = sealer.seal(
            kind: .agentCommand, body: body, recipientID: fixture.key.id, sealedTo: fixture.agentAgreementKey.publicKey,
            now: now)
        #expect(code { () throws(ProvisioningError) in _ = try requester.open(wrongKind, now: now) } == .unexpectedKind)
        let otherSender = EnvelopeSealer(senderID: OpaqueID(), signingKey: fixture.controllerSigningKey).seal(
            kind: .provisioningResponse, body: body, recipientID: fixture.key.id,
            sealedTo: fixture.agentAgreementKey.publicKey, now: now)
        #expect(code { () throws(ProvisioningError) in _ = try requester.open(otherSender, now: now) } == .malformed)
        let garbage = [UInt8](repeating: 0xFE, count: 10)
        let error = #expect(throws: ProvisioningError.self) { try requester.open(garbage, now: now) }
        #expect(error?.code == .malformed)
        #expect(error?.envelopeCode != nil)
    }

    @Test func refusesToBuildARequestWithAnExpiredKeyOrOversizedFields() {
        let expired = #expect(throws: ProvisioningError.self) {
            try ProvisioningRequester(
                key: fixture.key, signingKey: SigningKey(), agreementKey: AgreementKey(), secretHash: Secret().hash,
                now: fixture.key.expiry)
        }
        #expect(expired?.code == .keyExpired)
        let tooLong = #expect(throws: ProvisioningError.self) {
            try ProvisioningRequester(
                key: fixture.key, signingKey: SigningKey(), agreementKey: AgreementKey(), secretHash: Secret().hash,
                name: String(repeating: "n", count: 65), now: now)
        }
        #expect(tooLong?.code == .invalidMessage)
    }

    static func resign(_ envelope: [UInt8], with key: SigningKey) -> [UInt8] {
        let unsigned = Array(envelope.dropLast(Envelope.signatureSize))
        return unsigned + key.signature(for: Envelope.signatureContext + unsigned)
    }
}

