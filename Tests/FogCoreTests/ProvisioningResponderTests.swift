import FogCore
import Testing

/// The controller's side: a request must prove possession of the key it carries.
@Suite struct ProvisioningResponderTests {
    let fixture = ProvisioningFixture()
    var now: Timestamp { ProvisioningFixture.now }

    func openError(_ bytes: [UInt8], at time: Timestamp? = nil) -> ProvisioningError? {
        do {
            _ = try fixture.responder.openRequest(bytes, now: time ?? now)
            return nil
        } catch {
            return error
        }
    }

    @Test func rejectsARequestNotSignedByTheKeyItCarries() throws {
        let requester = try fixture.requester()
        let resigned = ProvisioningRequesterTests.resign(requester.requestEnvelope, with: SigningKey())
        let error = try #require(openError(resigned))
        #expect(error.code == .signatureInvalid)
        // The header's claims are reported so the controller can answer `malformed`.
        #expect(error.keyID == fixture.key.id)
        #expect(error.requestNonce == requester.requestNonce)
    }

    @Test func rejectsStaleSealedAddressedAndForeignRequests() throws {
        let requester = try fixture.requester()
        #expect(openError(requester.requestEnvelope, at: now.advanced(by: .seconds(121)))?.code == .stale)
        #expect(openError(requester.requestEnvelope, at: now.advanced(by: .seconds(120))) == nil)

        let body = try requester.request.encoded()
        let sealer = EnvelopeSealer(senderID: fixture.key.id, signingKey: fixture.agentSigningKey)
        let sealed = sealer.seal(
            kind: .provisioningRequest, body: body, sealedTo: fixture.controllerAgreementKey.publicKey, now: now)
        #expect(openError(sealed)?.code == .malformed)
        let addressed = sealer.seal(kind: .provisioningRequest, body: body, recipientID: fixture.controllerID, now: now)
        #expect(openError(addressed)?.code == .wrongRecipient)
        let reply = sealer.seal(kind: .agentReply, body: body, now: now)
        #expect(openError(reply)?.code == .unexpectedKind)
        let badBody = sealer.seal(kind: .provisioningRequest, body: body + [0], now: now)
        #expect(openError(badBody)?.code == .malformed)
        let oversized = [UInt8](repeating: 0, count: ProvisioningResponder.maximumRequestSize + 1)
        #expect(openError(oversized)?.envelopeCode == .oversized)
    }

    @Test func refusesToSendAnAssignmentOfAnotherControllerOrWithBadTopics() throws {
        let requester = try fixture.requester()
        let received = try fixture.responder.openRequest(requester.requestEnvelope, now: now)
        var foreign = fixture.assignment
        foreign.controllerID = OpaqueID()
        #expect(throws: ProvisioningError.self) {
            try fixture.responder.accept(received, assignment: foreign, now: now)
        }
        var swapped = fixture.assignment
        swap(&swapped.commandTopic, &swapped.replyTopic)
        let error = #expect(throws: ProvisioningError.self) {
            try fixture.responder.accept(received, assignment: swapped, now: now)
        }
        #expect(error?.code == .invalidMessage)
    }
}
