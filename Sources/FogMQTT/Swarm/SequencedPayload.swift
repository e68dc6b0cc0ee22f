/// The header a load generator puts at the front of each payload: which stream the message
/// belongs to, its sequence number in that stream, and when it was sent.
///
/// Layout (big-endian): stream `UInt32`, sequence `UInt64`, sent-at `UInt64` nanoseconds of
/// `MonotonicClock`; the rest of the payload is padding. Sender and receiver must share a
/// host for the timestamp to mean anything.
public struct SequencedPayload: Sendable, Equatable {
    public static let headerSize = 20

    public var stream: UInt32
    public var sequence: UInt64
    public var sentAt: UInt64

    public init(stream: UInt32, sequence: UInt64, sentAt: UInt64) {
        self.stream = stream
        self.sequence = sequence
        self.sentAt = sentAt
    }

    /// Reads the header; nil when `bytes` is shorter than `headerSize`.
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.headerSize else { return nil }
        stream = UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
        sequence = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 4, as: UInt64.self))
        sentAt = UInt64(bigEndian: bytes.loadUnaligned(fromByteOffset: 12, as: UInt64.self))
    }

    /// Writes the header over the first `headerSize` bytes of `bytes`, leaving the rest.
    /// - Precondition: `bytes.count >= headerSize`; callers size their buffers once.
    public func write(to bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.headerSize, "payload buffer of \(bytes.count) bytes cannot hold a sequenced header")
        bytes.storeBytes(of: stream.bigEndian, toByteOffset: 0, as: UInt32.self)
        bytes.storeBytes(of: sequence.bigEndian, toByteOffset: 4, as: UInt64.self)
        bytes.storeBytes(of: sentAt.bigEndian, toByteOffset: 12, as: UInt64.self)
    }
}
