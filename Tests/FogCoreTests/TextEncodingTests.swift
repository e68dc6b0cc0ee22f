import FogCore
import Testing
import FogTestSupport

@Suite struct TextEncodingTests {
    /// RFC 4648 §10 vectors, in FogFabric's canonical spelling (lowercase, unpadded).
    static let base32Vectors: [(String, String)] = [
        ("", ""), ("f", "my"), ("fo", "mzxq"), ("foo", "mzxw6"), ("foob", "mzxw6yq"),
        ("fooba", "mzxw6ytb"), ("foobar", "mzxw6ytboi"),
    ]
    static let base64Vectors: [(String, String)] = [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"),
        ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: base32Vectors)
    func base32MatchesRFC4648(plain: String, encoded: String) throws {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(try Base32.decode(encoded) == Array(plain.utf8))
        #expect(Base32.encodedLength(byteCount: plain.utf8.count) == encoded.count)
    }

    @Test(arguments: base64Vectors)
    func base64URLMatchesRFC4648(plain: String, encoded: String) throws {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64URL.decode(encoded) == Array(plain.utf8))
        #expect(Base64URL.encodedLength(byteCount: plain.utf8.count) == encoded.count)
    }

    @Test func base64URLUsesTheURLSafeAlphabet() throws {
        // Standard base64 of FB FF BF is "+/+/"; the URL alphabet replaces + and /.
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(try Base64URL.decode("-_-_") == [0xFB, 0xFF, 0xBF])
    }

    @Test(arguments: [
        "MY",  // uppercase is not canonical
        "my======",  // padding
        "m", "mzx", "mzxw6y",  // impossible lengths (1, 3, 6 mod 8)
        "mz",  // "f" with non-zero unused trailing bits
        "mzxw6ytb1", "mzxw 6", "mzxw8",  // outside the alphabet
    ])
    func base32RejectsNonCanonicalInput(text: String) {
        #expect(throws: CodecError.self) { _ = try Base32.decode(text) }
    }

    @Test(arguments: [
        "Zg==",  // padding
        "Z", "Zm9vY",  // impossible lengths (1 mod 4)
        "Zh", "Zm9",  // non-zero unused trailing bits ("Zm8" is canonical)
        "Zm9v+w", "Zm9v/w", "Zm 9v",  // standard-alphabet and foreign characters
    ])
    func base64URLRejectsNonCanonicalInput(text: String) {
        #expect(throws: CodecError.self) { _ = try Base64URL.decode(text) }
    }

    @Test func decodeErrorsPointAtTheProblem() {
        let error = #expect(throws: CodecError.self) { _ = try Base32.decode("mzx!w") }
        #expect(error?.code == .invalidValue)
        #expect(error?.offset == 3)
    }

    @Test func randomBytesRoundTrip() throws {
        var generator = SeededGenerator(seed: 0x5EED)
        for length in 0..<80 {
            let bytes = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            #expect(try Base32.decode(Base32.encode(bytes)) == bytes)
            #expect(try Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            #expect(try Hex.decode(Hex.encode(bytes)) == bytes)
        }
    }

    @Test func hexIsLowercaseAndStrict() throws {
        #expect(Hex.encode([0x00, 0xAB, 0xFF]) == "00abff")
        #expect(try Hex.decode("00abff") == [0x00, 0xAB, 0xFF])
        #expect(throws: CodecError.self) { _ = try Hex.decode("00ABFF") }
        #expect(throws: CodecError.self) { _ = try Hex.decode("abc") }
        #expect(throws: CodecError.self) { _ = try Hex.decode("0g") }
    }
}
