import FogCore
import Foundation
import Testing
import FogTestSupport

@Suite struct OpaqueIDTests {
    @Test func freshIDsAreUniqueAndCanonical() {
        var seen = Set<OpaqueID>()
        let lowercaseBase32 = Set("abcdefghijklmnopqrstuvwxyz234567")
        for _ in 0..<10_000 {
            let id = OpaqueID()
            #expect(seen.insert(id).inserted)
            let text = id.description
            #expect(text.count == OpaqueID.textLength)
            #expect(text.allSatisfy(lowercaseBase32.contains))
        }
        #expect(seen.count == 10_000)
    }

    @Test func roundTripsThroughTextBytesAndCodable() throws {
        var generator = SeededGenerator(seed: 42)
        for _ in 0..<200 {
            let id = OpaqueID(using: &generator)
            #expect(OpaqueID(id.description) == id)
            #expect(try OpaqueID(validating: id.description) == id)
            #expect(OpaqueID(bytes: id.bytes) == id)
            #expect(id.bytes.count == OpaqueID.byteCount)
            #expect(Base32.encode(id.bytes) == id.description)

            var writer = ByteWriter()
            id.write(to: &writer)
            var reader = ByteReader(writer.bytes)
            #expect(try OpaqueID(from: &reader) == id)

            let json = try JSONEncoder().encode([id])
            #expect(String(decoding: json, as: UTF8.self) == "[\"\(id)\"]")
            #expect(try JSONDecoder().decode([OpaqueID].self, from: json) == [id])
        }
    }

    @Test func knownValueHasKnownText() throws {
        let id = try #require(OpaqueID(bytes: Array(repeating: 0xFF, count: 16)))
        // 128 one-bits: 25 full symbols "7" and a final symbol holding 3 bits + 2 zero bits.
        #expect(id.description == String(repeating: "7", count: 25) + "4")
        #expect(OpaqueID.zero.description == String(repeating: "a", count: 26))
        #expect(OpaqueID.zero.isZero)
        #expect(!id.isZero)
    }

    @Test func parsesFromRawUTF8WithoutAString() throws {
        let id = OpaqueID()
        let bytes = Array(id.description.utf8)
        let parsed = bytes.withUnsafeBytes { OpaqueID(utf8: $0) }
        #expect(parsed == id)
    }

    @Test(arguments: [
        "", "aaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaa",  // 25 and 27 symbols
        "AAAAAAAAAAAAAAAAAAAAAAAAAA",  // uppercase
        "aaaaaaaaaaaaaaaaaaaaaaaaab",  // non-zero trailing bits (last symbol must be a multiple of 4)
        "aaaaaaaaaaaaaaaaaaaaaaaa1a", "aaaaaaaaaaaaaaaaaaaaaaaaa=",
    ])
    func rejectsNonCanonicalText(text: String) {
        #expect(OpaqueID(text) == nil)
        #expect(throws: KeyError.self) { _ = try OpaqueID(validating: text) }
        #expect(throws: KeyError.self) { _ = try OpaqueID(validating: text.utf8) }
    }

    @Test func rejectsWrongRawSizeAndBadJSON() {
        #expect(OpaqueID(bytes: Array(repeating: 1, count: 15)) == nil)
        #expect(OpaqueID(bytes: Array(repeating: 1, count: 17)) == nil)
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode([OpaqueID].self, from: Data("[\"nope\"]".utf8))
        }
    }
}
