/// A keyed 64-bit hash of a byte string, for the username index.
///
/// Not cryptographic: the keys are controller-chosen usernames, and the random seed only
/// keeps probe sequences unpredictable to clients that guess usernames. It reads eight
/// bytes at a time straight from the C string the broker passes, so hashing a username in
/// the auth or ACL callback allocates nothing.
enum ByteHash {
    static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var state = seed ^ (UInt64(truncatingIfNeeded: bytes.count) &* 0x9E37_79B9_7F4A_7C15)
        var offset = 0
        while bytes.count - offset >= 8 {
            state = mix(state ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        let remaining = bytes.count - offset
        var tail: UInt64 = 0
        if remaining > 0, bytes.count >= 8 {
            // The last eight bytes, shifted so only the ones not yet mixed remain.
            tail = bytes.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self) >> UInt64((8 - remaining) * 8)
        } else {
            var shift: UInt64 = 0
            while offset < bytes.count {
                tail |= UInt64(bytes[offset]) << shift
                shift += 8
                offset += 1
            }
        }
        return finalize(mix(state ^ tail))
    }

    static func hash(_ bytes: [UInt8], seed: UInt64) -> UInt64 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        let multiplied = value &* 0xBF58_476D_1CE4_E5B9
        return (multiplied << 31 | multiplied >> 33) &* 0x94D0_49BB_1331_11EB
    }

    /// MurmurHash3's 64-bit finaliser: every input bit affects every output bit.
    private static func finalize(_ value: UInt64) -> UInt64 {
        var result = value
        result ^= result >> 33
        result &*= 0xFF51_AFD7_ED55_8CCD
        result ^= result >> 33
        result &*= 0xC4CE_B9FE_1A85_EC53
        result ^= result >> 33
        return result
    }
}
