internal import Crypto

/// The seal construction shared by `EnvelopeSealer` and `EnvelopePolicy`.
///
/// HKDF-SHA256 over the X25519 shared secret, salted with ephemeral ‖ recipient public key
/// and labelled with `Envelope.sealContext`, yields 44 bytes: a ChaCha20-Poly1305 key (32)
/// and its nonce (12). Every envelope has a fresh ephemeral key, so each key is used once and
/// a derived nonce is as good as a random one; deriving it leaves nothing to transmit.
enum EnvelopeCipher {
    static let keySize = 32
    static let nonceSize = 12

    static func seal(
        _ plaintext: [UInt8], ephemeral: Curve25519.KeyAgreement.PrivateKey,
        recipient: AgreementPublicKey, associatedData: [UInt8]
    ) throws -> [UInt8] {
        let shared = try AgreementKey.sharedSecret(ephemeral, recipient.key)
        let (key, nonce) = try derive(
            shared, ephemeralKey: Array(ephemeral.publicKey.rawRepresentation),
            recipientKey: recipient.rawRepresentation)
        let box = try ChaChaPoly.seal(plaintext, using: key, nonce: nonce, authenticating: associatedData)
        return Array(box.ciphertext) + Array(box.tag)
    }

    static func open(
        _ sealed: [UInt8], ephemeralKey: [UInt8], recipient: AgreementKey,
        associatedData: ArraySlice<UInt8>
    ) throws -> [UInt8] {
        let ephemeral = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: ephemeralKey)
        let shared = try AgreementKey.sharedSecret(recipient.key, ephemeral)
        let (key, nonce) = try derive(
            shared, ephemeralKey: ephemeralKey, recipientKey: recipient.publicKey.rawRepresentation)
        let tagStart = sealed.count - Envelope.tagSize
        let box = try ChaChaPoly.SealedBox(
            nonce: nonce, ciphertext: sealed[..<tagStart], tag: sealed[tagStart...])
        return Array(try ChaChaPoly.open(box, using: key, authenticating: associatedData))
    }

    private static func derive(
        _ shared: SharedSecret, ephemeralKey: [UInt8], recipientKey: [UInt8]
    ) throws -> (SymmetricKey, ChaChaPoly.Nonce) {
        let material = shared.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: ephemeralKey + recipientKey, sharedInfo: Envelope.sealContext,
            outputByteCount: keySize + nonceSize)
        return try material.withUnsafeBytes { bytes in
            (
                SymmetricKey(data: bytes[..<keySize]),
                try ChaChaPoly.Nonce(data: bytes[keySize...])
            )
        }
    }
}
