import FogMQTT
import Testing

@Suite struct SequencedPayloadTests {
    @Test func roundTripsAndLeavesPaddingAlone() {
        var bytes = [UInt8](repeating: 0xAB, count: 64)
        let header = SequencedPayload(stream: 0xDEAD_BEEF, sequence: 1 << 40 | 7, sentAt: 123_456_789_012)
        bytes.withUnsafeMutableBytes { header.write(to: $0) }
        #expect(bytes[SequencedPayload.headerSize...].allSatisfy { $0 == 0xAB })
        #expect(Array(bytes[0..<4]) == [0xDE, 0xAD, 0xBE, 0xEF])
        let decoded = bytes.withUnsafeBytes { SequencedPayload($0) }
        #expect(decoded == header)
    }

    @Test func refusesShortPayloads() {
        let bytes = [UInt8](repeating: 0, count: SequencedPayload.headerSize - 1)
        #expect(bytes.withUnsafeBytes { SequencedPayload($0) } == nil)
    }
}
