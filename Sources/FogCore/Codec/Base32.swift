/// RFC 4648 base32 in FogFabric's canonical form: lowercase alphabet, no padding.
///
/// Lowercase because ids appear in MQTT usernames and topics, which are case-sensitive: one
/// value must have one spelling, so uppercase and padded input are rejected, not folded.
public enum Base32 {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        codec.encode(bytes)
    }

    public static func decode(_ text: some StringProtocol) throws(CodecError) -> [UInt8] {
        try codec.decode(text.utf8)
    }

    /// Decodes UTF-8 bytes, e.g. a C string handed over by the broker.
    public static func decode(utf8 text: some Collection<UInt8>) throws(CodecError) -> [UInt8] {
        try codec.decode(text)
    }

    /// Number of symbols `encode` produces for `byteCount` bytes.
    public static func encodedLength(byteCount: Int) -> Int {
        codec.encodedLength(byteCount: byteCount)
    }

    static let codec = RadixCodec(
        bitsPerSymbol: 5,
        encodeSymbol: { value in
            value < 26 ? UInt8(ascii: "a") + value : UInt8(ascii: "2") + value - 26
        },
        decodeSymbol: { symbol in
            switch symbol {
            case UInt8(ascii: "a")...UInt8(ascii: "z"): symbol - UInt8(ascii: "a")
            case UInt8(ascii: "2")...UInt8(ascii: "7"): symbol - UInt8(ascii: "2") + 26
            default: nil
            }
        },
        name: "base32")
}
