/// CRC-32C (Castagnoli), the checksum of every durable record FogFabric writes: the ComSat's
/// grant journal, the link half's queue segments, acknowledgement point and receive cursor.
///
/// It detects torn writes and bit rot; it is not a defence against someone who can write the
/// files (whoever can holds the broker's or the link's keys anyway).
public enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1
        }
        return value
    }

    /// Continues a checksum: `update(update(0, a), b)` equals the checksum of `a + b`.
    public static func update(_ crc: UInt32, _ bytes: some Collection<UInt8>) -> UInt32 {
        var value = ~crc
        table.withUnsafeBufferPointer { table in
            let contiguous: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
                for byte in buffer {
                    value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8)
                }
                return true
            }
            if contiguous == nil {
                for byte in bytes {
                    value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8)
                }
            }
        }
        return ~value
    }

    /// Continues a checksum with the low `byteCount` bytes of `value`, most significant first
    /// (the value's big-endian encoding), without building an array.
    public static func update(_ crc: UInt32, bigEndian value: UInt64, byteCount: Int) -> UInt32 {
        var result = ~crc
        table.withUnsafeBufferPointer { table in
            for index in stride(from: byteCount - 1, through: 0, by: -1) {
                let byte = UInt32(truncatingIfNeeded: value >> (8 * UInt64(index)))
                result = table[Int((result ^ byte) & 0xFF)] ^ (result >> 8)
            }
        }
        return ~result
    }

    public static func checksum(_ bytes: some Collection<UInt8>) -> UInt32 {
        update(0, bytes)
    }
}
