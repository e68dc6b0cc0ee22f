import FogCore

/// Unsigned LEB128 lengths: one byte below 128, so a 32-byte reading costs one length byte.
/// Decoding is strict (minimal encoding only), as everywhere in the protocol.
enum LEB128 {
    static func size(of value: UInt64) -> Int {
        var size = 1
        var rest = value >> 7
        while rest != 0 {
            size += 1
            rest >>= 7
        }
        return size
    }

    static func write(_ value: UInt64, to writer: inout ByteWriter) {
        var rest = value
        while rest >= 0x80 {
            writer.writeUInt8(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        writer.writeUInt8(UInt8(rest))
    }

    static func read(from reader: inout ByteReader, maximum: UInt64) throws(CodecError) -> UInt64 {
        let start = reader.offset
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try reader.readUInt8()
            guard shift < 63 || byte <= 1 else {
                throw CodecError(code: .invalidValue, offset: start, message: "length does not fit 64 bits")
            }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                guard byte != 0 || shift == 0 else {
                    throw CodecError(code: .invalidValue, offset: start, message: "length not minimally encoded")
                }
                break
            }
            shift += 7
        }
        guard value <= maximum else {
            throw CodecError(code: .lengthTooLarge, offset: start, message: "length \(value) over \(maximum)")
        }
        return value
    }
}
