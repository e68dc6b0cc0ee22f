/// The shared bit-packing engine behind `Base32` and `Base64URL`: both are RFC 4648 codecs
/// without padding that differ only in symbol width and alphabet.
///
/// Decoding is strict so that every value has exactly one text form (ids are MQTT usernames
/// and topic segments, compared byte for byte): an unknown symbol, an impossible length or
/// non-zero unused trailing bits is an error, never silently repaired.
struct RadixCodec: Sendable {
    let bitsPerSymbol: Int
    let encodeSymbol: @Sendable (UInt8) -> UInt8
    let decodeSymbol: @Sendable (UInt8) -> UInt8?
    let name: String

    func encode(_ bytes: some Sequence<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.underestimatedCount * 8 / bitsPerSymbol + 1)
        var buffer: UInt32 = 0
        var bufferedBits = 0
        let mask = UInt32(1) << bitsPerSymbol - 1
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bufferedBits += 8
            while bufferedBits >= bitsPerSymbol {
                bufferedBits -= bitsPerSymbol
                output.append(encodeSymbol(UInt8(buffer >> bufferedBits & mask)))
            }
            buffer &= UInt32(1) << bufferedBits - 1
        }
        if bufferedBits > 0 {
            output.append(encodeSymbol(UInt8(buffer << (bitsPerSymbol - bufferedBits) & mask)))
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Why `scan` refused its input; turned into a `CodecError` message only when a caller
    /// wants one, so hot paths reject bad input without building strings.
    enum Failure: Equatable {
        case symbol(offset: Int, byte: UInt8)
        case length(symbols: Int)
        case trailingBits(offset: Int)
    }

    /// Decodes `text` (UTF-8 bytes), handing each byte to `sink`; allocates nothing, so hot
    /// paths can parse C strings. On failure `sink` may already have received bytes: the
    /// caller must discard them.
    func scan(_ text: some Collection<UInt8>, into sink: (UInt8) -> Void) -> Failure? {
        var buffer: UInt32 = 0
        var bufferedBits = 0
        var offset = 0
        for character in text {
            guard let value = decodeSymbol(character) else {
                return .symbol(offset: offset, byte: character)
            }
            buffer = buffer << bitsPerSymbol | UInt32(value)
            bufferedBits += bitsPerSymbol
            if bufferedBits >= 8 {
                bufferedBits -= 8
                sink(UInt8(truncatingIfNeeded: buffer >> bufferedBits))
                buffer &= UInt32(1) << bufferedBits - 1
            }
            offset += 1
        }
        // A valid length leaves fewer unused bits than one symbol carries; those must be zero.
        guard bufferedBits < bitsPerSymbol else { return .length(symbols: offset) }
        guard buffer == 0 else { return .trailingBits(offset: offset - 1) }
        return nil
    }

    /// `scan`, with failures as descriptive `CodecError`s.
    func decode(
        _ text: some Collection<UInt8>, into sink: (UInt8) -> Void
    ) throws(CodecError) {
        switch scan(text, into: sink) {
        case nil:
            return
        case .symbol(let offset, let byte):
            throw CodecError(
                code: .invalidValue, offset: offset,
                message: "byte 0x\(String(byte, radix: 16)) is not in the \(name) alphabet")
        case .length(let symbols):
            throw CodecError(
                code: .invalidValue, offset: symbols,
                message: "\(symbols) symbols is not a valid \(name) length")
        case .trailingBits(let offset):
            throw CodecError(
                code: .invalidValue, offset: offset,
                message: "non-canonical \(name): unused trailing bits are not zero")
        }
    }

    func decode(_ text: some Collection<UInt8>) throws(CodecError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(decodedCapacity(symbolCount: text.count))
        try decode(text) { output.append($0) }
        return output
    }

    func decodedCapacity(symbolCount: Int) -> Int {
        symbolCount * bitsPerSymbol / 8
    }

    func encodedLength(byteCount: Int) -> Int {
        (byteCount * 8 + bitsPerSymbol - 1) / bitsPerSymbol
    }
}
