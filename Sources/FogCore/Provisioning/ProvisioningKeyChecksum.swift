/// CRC-32C (Castagnoli) over a provisioning key's binary form.
///
/// A typo detector, not an authenticator (the secret inside the key is what authenticates).
/// A CRC rather than a truncated hash because a CRC-32 detects *every* error burst of up to
/// 32 bits, and one mistyped base64url symbol changes at most 6 adjacent bits: so every
/// single-symbol typo is caught with certainty, not merely with probability 1 − 2⁻³².
enum ProvisioningKeyChecksum {
    static let byteCount = 4

    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = value & 1 == 1 ? (value >> 1) ^ 0x82F6_3B78 : value >> 1
        }
        return value
    }

    static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        var crc = UInt32.max
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return ~crc
    }
}
