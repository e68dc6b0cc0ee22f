/// RFC 4648 §5 base64url without padding, strictly decoded.
///
/// Used for secrets (the MQTT password field) and public keys in text form: URL- and
/// filename-safe, and rejecting padding or non-zero trailing bits keeps one spelling per value.
public enum Base64URL {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        codec.encode(bytes)
    }

    public static func decode(_ text: some StringProtocol) throws(CodecError) -> [UInt8] {
        try codec.decode(text.utf8)
    }

    /// Decodes UTF-8 bytes, e.g. a password handed over by the broker as C bytes.
    public static func decode(utf8 text: some Collection<UInt8>) throws(CodecError) -> [UInt8] {
        try codec.decode(text)
    }

    /// Number of symbols `encode` produces for `byteCount` bytes.
    public static func encodedLength(byteCount: Int) -> Int {
        codec.encodedLength(byteCount: byteCount)
    }

    static let codec = RadixCodec(
        bitsPerSymbol: 6,
        encodeSymbol: { value in
            switch value {
            case 0..<26: UInt8(ascii: "A") + value
            case 26..<52: UInt8(ascii: "a") + value - 26
            case 52..<62: UInt8(ascii: "0") + value - 52
            case 62: UInt8(ascii: "-")
            default: UInt8(ascii: "_")
            }
        },
        decodeSymbol: { symbol in
            switch symbol {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): symbol - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): symbol - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): symbol - UInt8(ascii: "0") + 52
            case UInt8(ascii: "-"): 62
            case UInt8(ascii: "_"): 63
            default: nil
            }
        },
        name: "base64url")
}
