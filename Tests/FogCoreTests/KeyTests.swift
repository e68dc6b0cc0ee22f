import FogCore
import Foundation
import Testing

@Suite struct KeyTests {
    @Test func signsAndVerifies() throws {
        let key = SigningKey()
        let message = Array("grant link 7".utf8)
        let signature = key.signature(for: message)
        #expect(signature.count == SigningKey.signatureByteCount)
        #expect(key.publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0]))
        #expect(!SigningKey().publicKey.isValidSignature(signature, for: message))
        #expect(!key.publicKey.isValidSignature(Array(signature.dropLast()), for: message))
        var tampered = signature
        tampered[10] ^= 0x04
        #expect(!key.publicKey.isValidSignature(tampered, for: message))
    }

    @Test func signingKeysRoundTripThroughRawAndText() throws {
        let key = SigningKey()
        let restored = try SigningKey(rawRepresentation: key.rawRepresentation)
        #expect(restored.publicKey == key.publicKey)
        let publicKey = try SigningPublicKey(rawRepresentation: key.publicKey.rawRepresentation)
        #expect(publicKey == key.publicKey)
        #expect(try SigningPublicKey(text: key.publicKey.description) == key.publicKey)
        #expect(key.publicKey.description.utf8.count == 43)
        let json = try JSONEncoder().encode([key.publicKey])
        #expect(try JSONDecoder().decode([SigningPublicKey].self, from: json) == [key.publicKey])
    }

    @Test func agreementKeysRoundTripThroughRawAndText() throws {
        let key = AgreementKey()
        let restored = try AgreementKey(rawRepresentation: key.rawRepresentation)
        #expect(restored.publicKey == key.publicKey)
        #expect(try AgreementPublicKey(rawRepresentation: key.publicKey.rawRepresentation) == key.publicKey)
        #expect(try AgreementPublicKey(text: key.publicKey.description) == key.publicKey)
        let json = try JSONEncoder().encode([key.publicKey])
        #expect(try JSONDecoder().decode([AgreementPublicKey].self, from: json) == [key.publicKey])
    }

    @Test func rejectsWrongSizes() {
        for count in [0, 31, 33, 64] {
            let bytes = Array(repeating: UInt8(7), count: count)
            #expect(throws: KeyError.self) { _ = try SigningKey(rawRepresentation: bytes) }
            #expect(throws: KeyError.self) { _ = try SigningPublicKey(rawRepresentation: bytes) }
            #expect(throws: KeyError.self) { _ = try AgreementKey(rawRepresentation: bytes) }
            #expect(throws: KeyError.self) { _ = try AgreementPublicKey(rawRepresentation: bytes) }
        }
        let error = #expect(throws: KeyError.self) { _ = try SigningPublicKey(rawRepresentation: [1, 2]) }
        #expect(error?.code == .invalidSize)
        #expect(error?.message == "Ed25519 public key must be 32 bytes, got 2")
        #expect(throws: KeyError.self) { _ = try SigningPublicKey(text: "not base64url!") }
    }

    /// Small-order X25519 points would give an all-zero shared secret and a public sealing key.
    @Test(arguments: [
        Array(repeating: UInt8(0), count: 32),
        [1] + Array(repeating: UInt8(0), count: 31),
        // Order-8 point from the list in Bernstein's Curve25519 page / RFC 7748 test suites.
        hexBytes("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        hexBytes("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"),
        hexBytes("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    ])
    func rejectsSmallOrderAgreementKeys(bytes: [UInt8]) {
        let error = #expect(throws: KeyError.self) { _ = try AgreementPublicKey(rawRepresentation: bytes) }
        #expect(error?.code == .invalidKey)
    }

    @Test func privateKeysNeverPrintTheirSecret() {
        let signing = SigningKey()
        let agreement = AgreementKey()
        for (rendering, secret) in [
            ("\(signing) \(String(reflecting: signing))", signing.rawRepresentation),
            ("\(agreement) \(String(reflecting: agreement))", agreement.rawRepresentation),
        ] {
            #expect(!rendering.contains(Base64URL.encode(secret)))
            #expect(!rendering.contains(Hex.encode(secret)))
        }
        #expect("\(signing)".contains(signing.publicKey.description))
    }
}

/// Test vectors are literals, so a decoding failure yields `[]`, which the test then rejects
/// for its size rather than as a small-order point, failing it.
private func hexBytes(_ text: String) -> [UInt8] {
    (try? Hex.decode(text)) ?? []
}
