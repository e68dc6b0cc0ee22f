/// Length-prefixed UTF-8 text fields for the provisioning and agent protocols.
///
/// Names, paths, URLs and topics are carried as a 16-bit length and strict UTF-8, so a
/// decoder never hands invalid Unicode to a file system call, a log line or a process
/// launcher. Every field has its own maximum, enforced on both sides: an encoder that
/// accepted what a decoder refuses would produce messages that can never be delivered.
enum WireText {
    static func write(
        _ text: String, field: String, maximum: Int, to writer: inout ByteWriter
    ) throws(CodecError) {
        let bytes = Array(text.utf8)
        guard bytes.count <= maximum else {
            throw CodecError(
                code: .lengthTooLarge, offset: writer.count,
                message: "\(field) is \(bytes.count) bytes; at most \(maximum) allowed")
        }
        try writer.writeLengthPrefixed16(bytes)
    }

    static func read(
        from reader: inout ByteReader, field: String, maximum: Int
    ) throws(CodecError) -> String {
        let start = reader.offset
        let bytes: [UInt8]
        do {
            bytes = try reader.readLengthPrefixed16(maximum: maximum)
        } catch {
            throw CodecError(code: error.code, offset: error.offset, message: "\(field): \(error.message)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw CodecError(code: .invalidValue, offset: start, message: "\(field) is not valid UTF-8")
        }
        return text
    }

    /// Reads a text field that must be non-empty.
    static func readNonEmpty(
        from reader: inout ByteReader, field: String, maximum: Int
    ) throws(CodecError) -> String {
        let start = reader.offset
        let text = try read(from: &reader, field: field, maximum: maximum)
        guard !text.isEmpty else {
            throw CodecError(code: .invalidValue, offset: start, message: "\(field) is empty")
        }
        return text
    }

    /// Reads a topic that must be `<prefix>/<opaque level>` with the given prefix.
    static func readTopic(
        from reader: inout ByteReader, field: String, prefix: ComSatTopic.Prefix
    ) throws(CodecError) -> String {
        let start = reader.offset
        let topic = try read(from: &reader, field: field, maximum: Grant.maximumTopicLength)
        guard ComSatTopic.prefix(of: topic.utf8) == prefix else {
            throw CodecError(
                code: .invalidValue, offset: start,
                message: "\(field) is not a '\(prefix.text)<level>' topic")
        }
        return topic
    }

    /// Checks before encoding that `topic` is one `readTopic` accepts.
    static func checkTopic(
        _ topic: String, field: String, prefix: ComSatTopic.Prefix, offset: Int
    ) throws(CodecError) {
        guard ComSatTopic.prefix(of: topic.utf8) == prefix else {
            throw CodecError(
                code: .invalidValue, offset: offset,
                message: "\(field) is not a '\(prefix.text)<level>' topic")
        }
    }

    /// Writes a string map as a count and strictly ascending keys, so every map has one
    /// encoding and a decoder can reject duplicates.
    static func writeMap(
        _ map: [String: String], field: String, maximumCount: Int, maximumKey: Int,
        maximumValue: Int, to writer: inout ByteWriter
    ) throws(CodecError) {
        guard map.count <= maximumCount else {
            throw CodecError(
                code: .lengthTooLarge, offset: writer.count,
                message: "\(field) has \(map.count) entries; at most \(maximumCount) allowed")
        }
        writer.writeUInt16(UInt16(map.count))
        for key in map.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            guard !key.isEmpty else {
                throw CodecError(code: .invalidValue, offset: writer.count, message: "\(field) has an empty key")
            }
            try write(key, field: "\(field) key", maximum: maximumKey, to: &writer)
            try write(map[key] ?? "", field: "\(field) value", maximum: maximumValue, to: &writer)
        }
    }

    static func readMap(
        from reader: inout ByteReader, field: String, maximumCount: Int, maximumKey: Int,
        maximumValue: Int
    ) throws(CodecError) -> [String: String] {
        let countOffset = reader.offset
        let count = Int(try reader.readUInt16())
        guard count <= maximumCount else {
            throw .init(
                code: .lengthTooLarge, offset: countOffset,
                message: "\(field) has \(count) entries; at most \(maximumCount) allowed")
        }
        var map: [String: String] = [:]
        var previous: [UInt8]?
        for _ in 0..<count {
            let keyOffset = reader.offset
            let key = try readNonEmpty(from: &reader, field: "\(field) key", maximum: maximumKey)
            let keyBytes = Array(key.utf8)
            if let previous, !previous.lexicographicallyPrecedes(keyBytes) {
                throw CodecError(
                    code: .invalidValue, offset: keyOffset,
                    message: "\(field) keys are not strictly ascending (duplicate or unsorted)")
            }
            previous = keyBytes
            // Distinct bytes can still be equal Swift strings (canonically equivalent
            // Unicode); refusing them keeps decoding lossless.
            guard map[key] == nil else {
                throw CodecError(
                    code: .invalidValue, offset: keyOffset,
                    message: "\(field) has two keys that are the same text in different Unicode forms")
            }
            map[key] = try read(from: &reader, field: "\(field) value", maximum: maximumValue)
        }
        return map
    }

    /// Reads a 32-byte Ed25519 public key, reporting an unusable one as `.invalidValue`.
    static func readSigningKey(from reader: inout ByteReader, field: String) throws(CodecError) -> SigningPublicKey {
        let offset = reader.offset
        let bytes = try reader.readBytes(count: SigningPublicKey.byteCount)
        do {
            return try SigningPublicKey(rawRepresentation: bytes)
        } catch {
            throw CodecError(code: .invalidValue, offset: offset, message: "\(field): \(error.message)")
        }
    }

    /// Reads a 32-byte X25519 public key; low-order points are `.invalidValue`.
    static func readAgreementKey(from reader: inout ByteReader, field: String) throws(CodecError) -> AgreementPublicKey
    {
        let offset = reader.offset
        let bytes = try reader.readBytes(count: AgreementPublicKey.byteCount)
        do {
            return try AgreementPublicKey(rawRepresentation: bytes)
        } catch {
            throw CodecError(code: .invalidValue, offset: offset, message: "\(field): \(error.message)")
        }
    }
}
