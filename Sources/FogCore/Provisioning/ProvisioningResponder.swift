/// The controller's side of provisioning: verifies requests and builds signed answers.
///
/// Stateless: whether a key exists, has expired or was already used is the controller's
/// database's business (a single-use key is what makes replaying a request useless). A
/// controller that receives again the request whose nonce consumed a key should answer with
/// the same acceptance rather than `alreadyUsed`, so an agent that missed the answer and
/// re-sent its request still completes.
public struct ProvisioningResponder: Sendable {
    /// Largest request accepted; a maximal request body is about 11 KiB.
    public static let maximumRequestSize = 16 * 1_024

    public let controllerID: OpaqueID
    public let signingPublicKey: SigningPublicKey
    public let clockSkew: Duration
    private let sealer: EnvelopeSealer

    public init(controllerID: OpaqueID, signingKey: SigningKey, clockSkew: Duration = .seconds(120)) {
        self.controllerID = controllerID
        signingPublicKey = signingKey.publicKey
        self.clockSkew = clockSkew
        sealer = EnvelopeSealer(senderID: controllerID, signingKey: signingKey)
    }

    /// Decodes and verifies a message received on a `q/` topic.
    ///
    /// The request must be a plain `provisioningRequest` envelope naming no recipient (the
    /// agent does not know the controller's id yet), signed by the signing key in its own
    /// body, within the clock skew.
    public func openRequest(_ bytes: [UInt8], now: Timestamp = .now()) throws(ProvisioningError)
        -> ReceivedProvisioningRequest
    {
        let envelope: Envelope
        do {
            envelope = try Envelope(decoding: bytes, maximumSize: Self.maximumRequestSize)
        } catch {
            throw ProvisioningError(
                code: .malformed, message: error.message, envelopeCode: error.code, keyID: error.sender)
        }
        func failure(_ code: ProvisioningError.Code, _ message: String) -> ProvisioningError {
            ProvisioningError(code: code, message: message, keyID: envelope.sender, requestNonce: envelope.nonce)
        }
        guard envelope.kind == .provisioningRequest else {
            throw failure(
                .unexpectedKind, "expected a provisioning request from key \(envelope.sender), got \(envelope.kind)")
        }
        guard !envelope.isSealed else {
            throw failure(.malformed, "provisioning request from key \(envelope.sender) is sealed; requests are plain")
        }
        if let recipient = envelope.recipient {
            throw failure(
                .wrongRecipient, "provisioning request from key \(envelope.sender) names recipient \(recipient)")
        }
        let request: ProvisioningRequest
        do {
            request = try ProvisioningRequest(decoding: envelope.body)
        } catch {
            throw failure(.malformed, "provisioning request from key \(envelope.sender): \(error)")
        }
        guard request.signingKey.isValidSignature(envelope.signature, for: envelope.signedMessage) else {
            throw failure(
                .signatureInvalid,
                "provisioning request from key \(envelope.sender) is not signed by the key it carries")
        }
        let skew = UInt64(Timestamp.milliseconds(clockSkew))
        let sent = envelope.timestamp.millisecondsSinceEpoch
        let current = now.millisecondsSinceEpoch
        let difference = sent > current ? sent - current : current - sent
        guard difference <= skew else {
            throw failure(
                .stale,
                "provisioning request from key \(envelope.sender) is \(difference) ms off (allowed skew \(skew) ms)")
        }
        return ReceivedProvisioningRequest(
            keyID: envelope.sender, nonce: envelope.nonce, timestamp: envelope.timestamp, request: request)
    }

    /// The acceptance of `request`, sealed to the agent's agreement key, to publish on
    /// `p/<request.keyID>`.
    /// - Throws: `.invalidMessage` when the assignment breaks a limit or names another controller.
    public func accept(
        _ request: ReceivedProvisioningRequest, assignment: ProvisioningAssignment, now: Timestamp = .now()
    ) throws(ProvisioningError) -> [UInt8] {
        guard assignment.controllerID == controllerID else {
            throw ProvisioningError(
                code: .invalidMessage,
                message: "assignment names controller \(assignment.controllerID), but this is \(controllerID)",
                keyID: request.keyID, requestNonce: request.nonce)
        }
        return try respond(
            keyID: request.keyID, requestNonce: request.nonce, outcome: .accepted(assignment),
            sealedTo: request.request.agreementKey, now: now)
    }

    /// A refusal of the request with `requestNonce` from key `keyID`, sealed when the agent's
    /// agreement key is known (`sealedTo`), plain otherwise.
    public func refuse(
        keyID: OpaqueID, requestNonce: EnvelopeNonce, refusal: ProvisioningRefusal,
        sealedTo agentKey: AgreementPublicKey? = nil, now: Timestamp = .now()
    ) throws(ProvisioningError) -> [UInt8] {
        try respond(keyID: keyID, requestNonce: requestNonce, outcome: .refused(refusal), sealedTo: agentKey, now: now)
    }

    private func respond(
        keyID: OpaqueID, requestNonce: EnvelopeNonce, outcome: ProvisioningResponse.Outcome,
        sealedTo agentKey: AgreementPublicKey?, now: Timestamp
    ) throws(ProvisioningError) -> [UInt8] {
        let response = ProvisioningResponse(
            requestNonce: requestNonce, controllerSigningKey: signingPublicKey, outcome: outcome)
        let body: [UInt8]
        do {
            body = try response.encoded()
        } catch {
            throw ProvisioningError(
                code: .invalidMessage, message: error.message, keyID: keyID, requestNonce: requestNonce)
        }
        return sealer.seal(kind: .provisioningResponse, body: body, recipientID: keyID, sealedTo: agentKey, now: now)
    }
}
