extension Grant {
    /// Appends the binary form (layout in docs/PROTOCOL.md, "ComSat control protocol").
    /// - Throws: `.lengthTooLarge` when a string exceeds the 16-bit length prefix, or a
    ///   topic list has more than 255 entries.
    public func write(to writer: inout ByteWriter) throws(CodecError) {
        writer.writeUInt8(kind.rawValue)
        try writer.writeLengthPrefixed16(Array(username.utf8))
        try writer.writeLengthPrefixed16(Array(clientID.utf8))
        secretHash.write(to: &writer)
        writer.writeUInt64(expiry)
        try Self.writeTopics(publishTopics, to: &writer)
        try Self.writeTopics(subscribeTopics, to: &writer)
        if let link {
            writer.writeUInt8(1)
            link.linkID.write(to: &writer)
            writer.writeUInt8(link.side.rawValue)
        } else {
            writer.writeUInt8(0)
        }
    }

    /// The binary form on its own.
    public func encoded() throws(CodecError) -> [UInt8] {
        var writer = ByteWriter(capacity: 128)
        try write(to: &writer)
        return writer.bytes
    }

    /// Reads the binary form. Sizes are bounded by the grant limits, so a hostile length
    /// cannot make the reader allocate more than a few kilobytes; the values themselves are
    /// checked by `validate()`, not here.
    public init(from reader: inout ByteReader) throws(CodecError) {
        let kindOffset = reader.offset
        let kindValue = try reader.readUInt8()
        guard let kind = Kind(rawValue: kindValue) else {
            throw CodecError(code: .invalidValue, offset: kindOffset, message: "unknown grant kind \(kindValue)")
        }
        let username = try reader.readLengthPrefixed16(maximum: Self.maximumIdentifierLength)
        let clientID = try reader.readLengthPrefixed16(maximum: Self.maximumIdentifierLength)
        let secretHash = try SecretHash(from: &reader)
        let expiry = try reader.readUInt64()
        let publishTopics = try Self.readTopics(from: &reader)
        let subscribeTopics = try Self.readTopics(from: &reader)
        let linkOffset = reader.offset
        let link: LinkBinding?
        switch try reader.readUInt8() {
        case 0:
            link = nil
        case 1:
            let linkID = try OpaqueID(from: &reader)
            let sideOffset = reader.offset
            let sideValue = try reader.readUInt8()
            guard let side = LinkSide(rawValue: sideValue) else {
                throw CodecError(code: .invalidValue, offset: sideOffset, message: "unknown link side \(sideValue)")
            }
            link = LinkBinding(linkID: linkID, side: side)
        case let flag:
            throw CodecError(code: .invalidValue, offset: linkOffset, message: "link flag \(flag) is neither 0 nor 1")
        }
        self.init(
            kind: kind, username: String(decoding: username, as: UTF8.self),
            clientID: String(decoding: clientID, as: UTF8.self), secretHash: secretHash,
            publishTopics: publishTopics, subscribeTopics: subscribeTopics, expiry: expiry,
            link: link)
    }

    private static func writeTopics(_ topics: [String], to writer: inout ByteWriter) throws(CodecError) {
        guard let count = UInt8(exactly: topics.count) else {
            throw CodecError(
                code: .lengthTooLarge, offset: writer.count,
                message: "\(topics.count) topics exceed the 255 a grant can carry")
        }
        writer.writeUInt8(count)
        for topic in topics {
            try writer.writeLengthPrefixed16(Array(topic.utf8))
        }
    }

    private static func readTopics(from reader: inout ByteReader) throws(CodecError) -> [String] {
        let countOffset = reader.offset
        let count = Int(try reader.readUInt8())
        guard count <= maximumTopicCount else {
            throw CodecError(
                code: .lengthTooLarge, offset: countOffset,
                message: "\(count) topics exceed the maximum \(maximumTopicCount)")
        }
        var topics: [String] = []
        topics.reserveCapacity(count)
        for _ in 0..<count {
            let topic = try reader.readLengthPrefixed16(maximum: maximumTopicLength)
            topics.append(String(decoding: topic, as: UTF8.self))
        }
        return topics
    }
}
