/// What a receiver accepts, and the stateless verification steps that enforce it.
///
/// Split from the replay window so that `SharedEnvelopeVerifier` can run the signature check
/// and decryption outside its lock on a snapshot of the policy, locking only to consult and
/// update the window.
struct EnvelopePolicy: Sendable {
    var trustedSenders: [OpaqueID: SigningPublicKey]
    var localID: OpaqueID?
    var agreementKey: AgreementKey?
    var requiresRecipient: Bool
    var acceptedKinds: Set<EnvelopeKind>?
    var maximumSize: Int
    let clockSkew: Duration

    /// Everything up to, but not including, the replay check: size, strict decoding, known
    /// sender, signature, kind, recipient, timestamp. Cheap checks run before the signature,
    /// and nothing that costs an X25519 agreement runs before it.
    func authenticate(_ bytes: [UInt8], now: Timestamp) throws(EnvelopeError) -> Envelope {
        let envelope = try Envelope(decoding: bytes, maximumSize: maximumSize)
        let sender = envelope.sender

        guard let senderKey = trustedSenders[sender] else {
            throw EnvelopeError(code: .unknownSender, message: "sender \(sender) is not trusted", sender: sender)
        }
        guard senderKey.isValidSignature(envelope.signature, for: envelope.signedMessage) else {
            throw EnvelopeError(
                code: .signatureInvalid, message: "signature of envelope from \(sender) does not verify",
                sender: sender)
        }
        if let acceptedKinds, !acceptedKinds.contains(envelope.kind) {
            throw EnvelopeError(
                code: .unexpectedKind, message: "envelope from \(sender) has unexpected \(envelope.kind)",
                sender: sender)
        }
        try checkRecipient(envelope)
        try checkTimestamp(envelope, now: now)
        return envelope
    }

    /// Decrypts a sealed body; a plain body passes through. Every failure is one opaque error.
    func unseal(_ envelope: Envelope) throws(EnvelopeError) -> OpenedEnvelope {
        guard let ephemeralKey = envelope.ephemeralKey else {
            return OpenedEnvelope(envelope, body: envelope.body)
        }
        guard let agreementKey else {
            throw EnvelopeError(
                code: .unsealFailed,
                message: "cannot unseal envelope from \(envelope.sender): no agreement key configured",
                sender: envelope.sender)
        }
        do {
            let body = try EnvelopeCipher.open(
                envelope.body, ephemeralKey: ephemeralKey, recipient: agreementKey,
                associatedData: envelope.associatedData)
            return OpenedEnvelope(envelope, body: body)
        } catch {
            throw EnvelopeError(
                code: .unsealFailed, message: "cannot unseal envelope from \(envelope.sender)",
                sender: envelope.sender)
        }
    }

    private func checkRecipient(_ envelope: Envelope) throws(EnvelopeError) {
        let sender = envelope.sender
        switch (envelope.recipient, localID) {
        case (let recipient?, let localID?) where recipient == localID:
            return
        case (let recipient?, let localID?):
            throw EnvelopeError(
                code: .wrongRecipient,
                message: "envelope from \(sender) is addressed to \(recipient), not to \(localID)",
                sender: sender)
        case (let recipient?, nil):
            throw EnvelopeError(
                code: .wrongRecipient,
                message: "envelope from \(sender) is addressed to \(recipient) but this receiver has no id",
                sender: sender)
        case (nil, _) where requiresRecipient:
            throw EnvelopeError(
                code: .wrongRecipient, message: "envelope from \(sender) names no recipient", sender: sender)
        case (nil, _):
            return
        }
    }

    private func checkTimestamp(_ envelope: Envelope, now: Timestamp) throws(EnvelopeError) {
        let skew = UInt64(Timestamp.milliseconds(clockSkew))
        let sent = envelope.timestamp.millisecondsSinceEpoch
        let current = now.millisecondsSinceEpoch
        let sender = envelope.sender
        if sent > current, sent - current > skew {
            throw EnvelopeError(
                code: .stale,
                message: "envelope from \(sender) is \(sent - current) ms in the future (allowed skew \(skew) ms)",
                sender: sender)
        }
        if current > sent, current - sent > skew {
            throw EnvelopeError(
                code: .stale,
                message: "envelope from \(sender) is \(current - sent) ms old (allowed skew \(skew) ms)",
                sender: sender)
        }
    }
}
