/// Lowercase hexadecimal, strictly decoded (lowercase only, even length), for hashes in
/// logs, audit lines and configuration where a fixed, greppable spelling matters.
public enum Hex {
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            output.append(symbol(byte >> 4))
            output.append(symbol(byte & 0x0F))
        }
        return String(decoding: output, as: UTF8.self)
    }

    public static func decode(_ text: some StringProtocol) throws(CodecError) -> [UInt8] {
        let utf8 = text.utf8
        guard utf8.count.isMultiple(of: 2) else {
            throw CodecError(code: .invalidValue, offset: utf8.count, message: "odd hex length \(utf8.count)")
        }
        var output: [UInt8] = []
        output.reserveCapacity(utf8.count / 2)
        var high: UInt8?
        for (offset, character) in utf8.enumerated() {
            guard let nibble = value(of: character) else {
                throw CodecError(
                    code: .invalidValue, offset: offset,
                    message: "byte 0x\(String(character, radix: 16)) is not a lowercase hex digit")
            }
            if let first = high {
                output.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return output
    }

    private static func symbol(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }

    private static func value(of symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): symbol - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): symbol - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
