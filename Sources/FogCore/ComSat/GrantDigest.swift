internal import Crypto

/// SHA-256 of one grant's canonical binary form, domain-separated.
///
/// Covers every field, so a grant that differs in anything (secret hash, a topic, the
/// expiry) has a different digest. The controller and the plugin compute it with this same
/// code, which is what makes `GrantSetDigest` comparable across the two.
public struct GrantDigest: Sendable, Hashable, CustomStringConvertible {
    public static let byteCount = 32
    private static let domain = Array("fogfabric.comsat.grant.v1".utf8)

    let high: UInt64
    let upper: UInt64
    let lower: UInt64
    let low: UInt64

    public init(of grant: Grant) throws(CodecError) {
        var writer = ByteWriter(capacity: 160)
        writer.writeBytes(Self.domain)
        try grant.write(to: &writer)
        self = SHA256.hash(data: writer.bytes).withUnsafeBytes { raw in
            func word(_ index: Int) -> UInt64 {
                UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
            }
            return GrantDigest(word(0), word(1), word(2), word(3))
        }
    }

    /// Reads the 32 raw bytes.
    public init(from reader: inout ByteReader) throws(CodecError) {
        self.init(try reader.readUInt64(), try reader.readUInt64(), try reader.readUInt64(), try reader.readUInt64())
    }

    init(_ high: UInt64, _ upper: UInt64, _ lower: UInt64, _ low: UInt64) {
        self.high = high
        self.upper = upper
        self.lower = lower
        self.low = low
    }

    public func write(to writer: inout ByteWriter) {
        writer.writeUInt64(high)
        writer.writeUInt64(upper)
        writer.writeUInt64(lower)
        writer.writeUInt64(low)
    }

    public var bytes: [UInt8] {
        var writer = ByteWriter(capacity: Self.byteCount)
        write(to: &writer)
        return writer.bytes
    }

    public var description: String { Hex.encode(bytes) }
}
