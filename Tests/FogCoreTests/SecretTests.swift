import FogCore
import Foundation
import Testing

@Suite struct SecretTests {
    @Test func secretsAreUniqueAndHaveCanonicalText() throws {
        var seen = Set<String>()
        for _ in 0..<1_000 {
            let secret = Secret()
            let text = secret.text
            #expect(text.utf8.count == Secret.textLength)
            #expect(seen.insert(text).inserted)
            let parsed = try Secret(text: text)
            #expect(parsed == secret)
            #expect(parsed.bytes == secret.bytes)
            #expect(Secret(bytes: secret.bytes) == secret)
            #expect(try Base64URL.decode(text) == secret.bytes)
        }
    }

    @Test func neverPrintsItsValue() {
        let secret = Secret()
        var dumped = ""
        dump(secret, to: &dumped)
        for rendering in [secret.description, "\(secret)", String(reflecting: secret), dumped] {
            #expect(!rendering.contains(secret.text))
            #expect(!rendering.contains(Hex.encode(secret.bytes)))
        }
    }

    @Test(arguments: [
        "", "short", String(repeating: "A", count: 44), String(repeating: "A", count: 42) + "B",
        String(repeating: "A", count: 42) + "+", String(repeating: "A", count: 43) + "=",
    ])
    func rejectsMalformedText(text: String) {
        #expect(throws: KeyError.self) { _ = try Secret(text: text) }
    }

    @Test func hashIsSHA256OfTheText() throws {
        // FIPS 180-2 vector for "abc".
        let abc = SecretHash(of: "abc".utf8)
        #expect(abc.description == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try SecretHash(hex: abc.description) == abc)
        #expect(SecretHash(of: Array("abc".utf8)) == abc)
        let fromPointer = Array("abc".utf8).withUnsafeBytes { SecretHash(of: $0) }
        #expect(fromPointer.matches(abc))

        let secret = Secret()
        #expect(secret.hash == SecretHash(of: Array(secret.text.utf8)))
        #expect(secret.hash.matches(password: secret.text.utf8))
        #expect(!secret.hash.matches(password: Secret().text.utf8))
    }

    @Test func hashMatchesRawPasswordBytes() {
        let secret = Secret()
        let stored = secret.hash
        let matches = Array(secret.text.utf8).withUnsafeBytes { stored.matches(password: $0) }
        #expect(matches)
        var wrong = Array(secret.text.utf8)
        wrong[wrong.count - 1] ^= 0x01
        #expect(!wrong.withUnsafeBytes { stored.matches(password: $0) })
        #expect(![UInt8]().withUnsafeBytes { stored.matches(password: $0) })
    }

    /// Constant-time comparison must still be a correct comparison: a difference in any bit
    /// of any byte is detected.
    @Test func constantTimeComparisonDetectsEveryBit() throws {
        let hash = Secret().hash
        let bytes = hash.bytes
        #expect(hash.matches(try #require(SecretHash(bytes: bytes))))
        for index in bytes.indices {
            for bit in 0..<8 {
                var changed = bytes
                changed[index] ^= 1 << bit
                let other = try #require(SecretHash(bytes: changed))
                #expect(!hash.matches(other), "byte \(index) bit \(bit)")
                #expect(hash != other)
            }
        }
        let secret = Secret()
        for index in secret.bytes.indices {
            var changed = secret.bytes
            changed[index] ^= 0x80
            #expect(try #require(Secret(bytes: changed)) != secret)
        }
    }

    @Test func hashRoundTripsAndRejectsBadForms() throws {
        let hash = Secret().hash
        var writer = ByteWriter()
        hash.write(to: &writer)
        var reader = ByteReader(writer.bytes)
        #expect(try SecretHash(from: &reader) == hash)
        let json = try JSONEncoder().encode([hash])
        #expect(try JSONDecoder().decode([SecretHash].self, from: json) == [hash])
        #expect(throws: KeyError.self) { _ = try SecretHash(hex: "abcd") }
        #expect(throws: KeyError.self) { _ = try SecretHash(hex: hash.description.uppercased()) }
        #expect(SecretHash(bytes: Array(repeating: 0, count: 31)) == nil)
    }
}
