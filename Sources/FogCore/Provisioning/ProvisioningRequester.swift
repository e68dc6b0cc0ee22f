/// The agent's side of provisioning: builds the signed request and opens the controller's
/// answer, trusting only what the provisioning key vouches for.
///
/// The agent generates its signing key, agreement key and MQTT secret locally and passes only
/// the secret's hash; nothing private leaves the node. One requester is one request (one
/// nonce); to retry after the clock skew has passed, build a new one with the same keys.
public struct ProvisioningRequester: Sendable {
    /// Largest response accepted: a CA certificate of 64 KiB plus a few hundred bytes.
    public static let maximumResponseSize = 128 * 1_024

    public let key: ProvisioningKey
    public let request: ProvisioningRequest
    /// The envelope to publish on `key.requestTopic`.
    public let requestEnvelope: [UInt8]
    /// The nonce of `requestEnvelope`, which the controller's answer must quote.
    public let requestNonce: EnvelopeNonce
    public let clockSkew: Duration
    private let agreementKey: AgreementKey

    /// - Throws: `.keyExpired` when the key has expired at `now`; `.invalidMessage` when the
    ///   name or labels break their limits.
    public init(
        key: ProvisioningKey, signingKey: SigningKey, agreementKey: AgreementKey, secretHash: SecretHash,
        name: String? = nil, labels: [String: String] = [:], clockSkew: Duration = .seconds(120),
        now: Timestamp = .now()
    ) throws(ProvisioningError) {
        do {
            try key.checkUsable(now: now)
        } catch {
            throw ProvisioningError(code: .keyExpired, message: error.message, keyID: key.id)
        }
        let request = ProvisioningRequest(
            signingKey: signingKey.publicKey, agreementKey: agreementKey.publicKey, secretHash: secretHash,
            name: name, labels: labels)
        let body: [UInt8]
        do {
            body = try request.encoded()
        } catch {
            throw ProvisioningError(code: .invalidMessage, message: error.message, keyID: key.id)
        }
        let sealer = EnvelopeSealer(senderID: key.id, signingKey: signingKey)
        let envelope = sealer.seal(kind: .provisioningRequest, body: body, now: now)
        do {
            requestNonce = try Envelope(decoding: envelope).nonce
        } catch {
            // The sealer's own output always decodes; this would be a FogCore bug.
            preconditionFailure("freshly sealed provisioning request does not decode: \(error)")
        }
        self.key = key
        self.request = request
        self.requestEnvelope = envelope
        self.agreementKey = agreementKey
        self.clockSkew = clockSkew
    }

    /// Opens a message received on `key.responseTopic`.
    ///
    /// Order: decode, kind, recipient, unseal (a sealed answer to someone else fails here),
    /// decode the body, match the controller key against the fingerprint, verify the
    /// signature with it, check the timestamp, then that the answer quotes this request's
    /// nonce. Unsealing precedes the signature check because the key to check with is inside
    /// the sealed body; nothing from the body is trusted until the signature verified.
    public func open(_ bytes: [UInt8], now: Timestamp = .now()) throws(ProvisioningError) -> ProvisioningResponse {
        let envelope: Envelope
        do {
            envelope = try Envelope(decoding: bytes, maximumSize: Self.maximumResponseSize)
        } catch {
            throw ProvisioningError(
                code: .malformed, message: error.message, envelopeCode: error.code, keyID: key.id,
                requestNonce: requestNonce)
        }
        guard envelope.kind == .provisioningResponse else {
            throw failure(.unexpectedKind, "expected a provisioning response, got \(envelope.kind)")
        }
        guard envelope.recipient == key.id else {
            throw failure(
                .wrongRecipient,
                "response from \(envelope.sender) is addressed to \(envelope.recipient?.description ?? "nobody"), "
                    + "not to key \(key.id)")
        }
        let plaintext: [UInt8]
        if let ephemeralKey = envelope.ephemeralKey {
            do {
                plaintext = try EnvelopeCipher.open(
                    envelope.body, ephemeralKey: ephemeralKey, recipient: agreementKey,
                    associatedData: envelope.associatedData)
            } catch {
                throw failure(
                    .unsealFailed,
                    "response from \(envelope.sender) is not sealed to this agent (another request's answer?)")
            }
        } else {
            plaintext = envelope.body
        }
        let response: ProvisioningResponse
        do {
            response = try ProvisioningResponse(decoding: plaintext)
        } catch {
            throw failure(.malformed, "response body from \(envelope.sender): \(error)")
        }
        guard key.controllerKeyFingerprint.matches(response.controllerSigningKey) else {
            let presented = ControllerKeyFingerprint(of: response.controllerSigningKey)
            throw failure(
                .controllerKeyMismatch,
                "response from \(envelope.sender) is signed with key \(presented), "
                    + "not the controller key \(key.controllerKeyFingerprint) named by the provisioning key")
        }
        guard response.controllerSigningKey.isValidSignature(envelope.signature, for: envelope.signedMessage) else {
            throw failure(.signatureInvalid, "signature of response from \(envelope.sender) does not verify")
        }
        try checkTimestamp(envelope, now: now)
        guard response.requestNonce == requestNonce else {
            throw failure(
                .answersAnotherRequest,
                "response from \(envelope.sender) answers request \(response.requestNonce), not \(requestNonce)")
        }
        if case .accepted(let assignment) = response.outcome {
            guard envelope.isSealed else {
                throw failure(.notSealed, "acceptance from \(envelope.sender) is not sealed")
            }
            guard assignment.controllerID == envelope.sender else {
                throw failure(
                    .malformed,
                    "acceptance names controller \(assignment.controllerID) but was sent by \(envelope.sender)")
            }
        }
        return response
    }

    private func checkTimestamp(_ envelope: Envelope, now: Timestamp) throws(ProvisioningError) {
        let skew = UInt64(Timestamp.milliseconds(clockSkew))
        let sent = envelope.timestamp.millisecondsSinceEpoch
        let current = now.millisecondsSinceEpoch
        let difference = sent > current ? sent - current : current - sent
        guard difference <= skew else {
            throw failure(
                .stale,
                "response from \(envelope.sender) is \(difference) ms \(sent > current ? "in the future" : "old") "
                    + "(allowed skew \(skew) ms)")
        }
    }

    private func failure(_ code: ProvisioningError.Code, _ message: String) -> ProvisioningError {
        ProvisioningError(code: code, message: message, keyID: key.id, requestNonce: requestNonce)
    }
}
