/// Big-endian packing of fixed-size byte strings into `UInt64` words.
///
/// Ids, secrets and hashes are stored as words rather than arrays so that creating,
/// hashing and comparing them allocates nothing (the broker plugin does this per CONNECT).
enum WordPacking {
    /// Packs exactly `8 * count` bytes; returns nil for any other length.
    static func words(from bytes: some Collection<UInt8>, count: Int) -> [UInt64]? {
        guard bytes.count == count * 8 else { return nil }
        var words = [UInt64](repeating: 0, count: count)
        for (index, byte) in bytes.enumerated() {
            words[index / 8] = words[index / 8] << 8 | UInt64(byte)
        }
        return words
    }

    static func load(_ raw: UnsafeRawBufferPointer, word index: Int) -> UInt64 {
        UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self))
    }

    static func append(_ word: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
        }
    }

    static func bytes(_ words: UInt64...) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(words.count * 8)
        for word in words { append(word, to: &bytes) }
        return bytes
    }
}
