internal import Crypto
import FogCore

/// The link's key derivations (PROTOCOL.md, "Link frames"): the hello key from the PSK alone,
/// and one traffic key per direction from an X25519 agreement bound to the PSK and the
/// handshake transcript.
enum LinkKeySchedule {
    static let helloLabel = Array("FogFabric link v1 hello".utf8)
    static let trafficLabel = Array("FogFabric link v1 keys".utf8)

    /// HKDF-SHA256(IKM = PSK, salt = link id, info = "FogFabric link v1 hello", L = 32).
    static func helloKey(linkID: OpaqueID, preSharedKey: Secret) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: preSharedKey.bytes), salt: linkID.bytes, info: helloLabel,
            outputByteCount: 32)
    }

    /// HKDF-SHA256(IKM = X25519(own, peer), salt = PSK,
    /// info = "FogFabric link v1 keys" ‖ link id ‖ 0x01 ‖ E_A ‖ 0x02 ‖ E_B, L = 64);
    /// A→B is the first 32 bytes, B→A the rest.
    static func trafficKeys(
        linkID: OpaqueID, side: Grant.LinkSide, preSharedKey: Secret,
        ownKey: Curve25519.KeyAgreement.PrivateKey, peerPublicKey: [UInt8]
    ) throws(LinkProtocolError) -> (send: SymmetricKey, receive: SymmetricKey) {
        let shared: SharedSecret
        do {
            let peer = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peerPublicKey)
            shared = try ownKey.sharedSecretFromKeyAgreement(with: peer)
        } catch {
            throw LinkProtocolError(.handshakeFailed, "X25519 agreement failed")
        }
        let isZero = shared.withUnsafeBytes { bytes in bytes.reduce(UInt8(0)) { $0 | $1 } == 0 }
        guard !isZero else {
            throw LinkProtocolError(.handshakeFailed, "peer ephemeral key is a small-order point")
        }
        let own = Array(ownKey.publicKey.rawRepresentation)
        let (keyA, keyB) = side == .a ? (own, peerPublicKey) : (peerPublicKey, own)
        var info = trafficLabel + linkID.bytes
        info += [Grant.LinkSide.a.rawValue] + keyA + [Grant.LinkSide.b.rawValue] + keyB
        let material = shared.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: preSharedKey.bytes, sharedInfo: info, outputByteCount: 64)
        let bytes = material.withUnsafeBytes { Array($0) }
        let aToB = SymmetricKey(data: bytes[0..<32])
        let bToA = SymmetricKey(data: bytes[32..<64])
        return side == .a ? (aToB, bToA) : (bToA, aToB)
    }
}
