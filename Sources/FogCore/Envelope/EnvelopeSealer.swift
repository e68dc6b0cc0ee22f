internal import Crypto

/// Builds signed, optionally sealed envelopes for one sender.
///
/// Stateless apart from its key, so one sealer can be shared by any number of tasks.
public struct EnvelopeSealer: Sendable {
    public let senderID: OpaqueID
    private let signingKey: SigningKey

    public init(senderID: OpaqueID, signingKey: SigningKey) {
        self.senderID = senderID
        self.signingKey = signingKey
    }

    /// Encodes, optionally seals, and signs `body`.
    ///
    /// - Parameters:
    ///   - recipientID: the node that may open it; nil (or `OpaqueID.zero`) for none.
    ///   - sealedTo: when set, the body is encrypted so only that key's holder can read it.
    ///     Pair it with `recipientID` so the receiver can also check the addressing.
    ///   - now: the timestamp to carry; receivers accept it within their clock skew.
    /// - Precondition: `body` is under 4 GiB (receivers refuse far less; see `maximumSize`).
    public func seal(
        kind: EnvelopeKind, body: [UInt8], recipientID: OpaqueID? = nil,
        sealedTo recipientKey: AgreementPublicKey? = nil, now: Timestamp = .now()
    ) -> [UInt8] {
        let ephemeral = recipientKey.map { _ in Curve25519.KeyAgreement.PrivateKey() }
        let bodySize = body.count + (recipientKey == nil ? 0 : Envelope.tagSize)
        guard let bodyLength = UInt32(exactly: bodySize) else {
            preconditionFailure("envelope body of \(body.count) bytes exceeds the UInt32 length field")
        }
        let header = Envelope.Header(
            kind: kind, sender: senderID, recipient: recipientID ?? .zero, timestamp: now,
            nonce: EnvelopeNonce(),
            ephemeralKey: ephemeral.map { Array($0.publicKey.rawRepresentation) },
            bodyLength: bodyLength)
        var writer = ByteWriter(capacity: header.size + bodySize + Envelope.signatureSize)
        header.write(to: &writer)

        if let ephemeral, let recipientKey {
            do {
                writer.writeBytes(
                    try EnvelopeCipher.seal(
                        body, ephemeral: ephemeral, recipient: recipientKey, associatedData: writer.bytes))
            } catch {
                // `AgreementPublicKey` rejects small-order points and the key and nonce sizes
                // are fixed, so sealing cannot fail; reaching here means the crypto library broke.
                preconditionFailure("envelope sealing failed: \(error)")
            }
        } else {
            writer.writeBytes(body)
        }
        writer.writeBytes(signingKey.signature(for: Envelope.signatureContext + writer.bytes))
        return writer.bytes
    }
}
