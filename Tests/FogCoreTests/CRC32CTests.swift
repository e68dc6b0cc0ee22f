import FogCore
import Testing

@Suite struct CRC32CTests {
    @Test func matchesTheStandardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([]) == 0)
    }

    @Test func updatingInPiecesEqualsTheWhole() {
        let bytes = Array("The quick brown fox".utf8)
        #expect(CRC32C.update(CRC32C.update(0, bytes[..<7]), bytes[7...]) == CRC32C.checksum(bytes))
        // A big-endian integer is checksummed as its bytes.
        let value: UInt64 = 0x0102_0304_0506_0708
        #expect(CRC32C.update(0, bigEndian: value, byteCount: 8) == CRC32C.checksum([1, 2, 3, 4, 5, 6, 7, 8]))
        #expect(CRC32C.update(0, bigEndian: value, byteCount: 4) == CRC32C.checksum([5, 6, 7, 8]))
    }
}
