/// A command plus the correlation id its response echoes; the body of a command envelope.
///
/// Layout (big-endian): `u8 version` `u64 correlationID` `u8 command` then the command's
/// fields, documented in docs/PROTOCOL.md "ComSat control protocol".
public struct ComSatRequest: Sendable, Hashable {
    public var correlationID: UInt64
    public var command: ComSatCommand

    public init(correlationID: UInt64, command: ComSatCommand) {
        self.correlationID = correlationID
        self.command = command
    }

    public func encoded() throws(CodecError) -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.writeUInt8(ComSatProtocol.version)
        writer.writeUInt64(correlationID)
        writer.writeUInt8(command.code.rawValue)
        switch command {
        case .addGrants(let grants), .replaceAll(let grants):
            try Self.writeCount(grants.count, to: &writer)
            for grant in grants {
                try writer.writeLengthPrefixed16(try grant.encoded())
            }
        case .removeGrants(let usernames):
            try Self.writeCount(usernames.count, to: &writer)
            for username in usernames {
                try writer.writeLengthPrefixed16(Array(username.utf8))
            }
        case .list(let cursor, let limit), .pendingSweeps(let cursor, let limit):
            writer.writeUInt32(cursor)
            writer.writeUInt16(limit)
        case .digest, .stats:
            break
        }
        return writer.bytes
    }

    /// Decodes a request strictly: unknown version or command, counts above
    /// `ComSatProtocol.maximumItems`, any malformed item and trailing bytes are errors.
    /// Grants are decoded, not validated; the plugin validates each one.
    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> ComSatRequest {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8()
        guard version == ComSatProtocol.version else {
            throw CodecError(code: .invalidValue, offset: 0, message: "unknown ComSat protocol version \(version)")
        }
        let correlationID = try reader.readUInt64()
        let codeOffset = reader.offset
        let codeValue = try reader.readUInt8()
        guard let code = ComSatCommand.Code(rawValue: codeValue) else {
            throw CodecError(code: .invalidValue, offset: codeOffset, message: "unknown ComSat command \(codeValue)")
        }
        let command: ComSatCommand
        switch code {
        case .addGrants:
            command = .addGrants(try readGrants(from: &reader))
        case .replaceAll:
            command = .replaceAll(try readGrants(from: &reader))
        case .removeGrants:
            let count = try readCount(from: &reader)
            var usernames: [String] = []
            for _ in 0..<count {
                let username = try reader.readLengthPrefixed16(maximum: Grant.maximumIdentifierLength)
                usernames.append(String(decoding: username, as: UTF8.self))
            }
            command = .removeGrants(usernames)
        case .list:
            command = .list(cursor: try reader.readUInt32(), limit: try reader.readUInt16())
        case .pendingSweeps:
            command = .pendingSweeps(cursor: try reader.readUInt32(), limit: try reader.readUInt16())
        case .digest:
            command = .digest
        case .stats:
            command = .stats
        }
        try reader.expectEnd()
        return ComSatRequest(correlationID: correlationID, command: command)
    }

    private static func readGrants(from reader: inout ByteReader) throws(CodecError) -> [Grant] {
        let count = try readCount(from: &reader)
        var grants: [Grant] = []
        for _ in 0..<count {
            let itemOffset = reader.offset
            var item = ByteReader(try reader.readLengthPrefixed16(maximum: ComSatProtocol.maximumGrantLength))
            do {
                grants.append(try Grant(from: &item))
                try item.expectEnd()
            } catch {
                throw CodecError(
                    code: error.code, offset: itemOffset + 2 + error.offset,
                    message: "grant \(grants.count): \(error.message)")
            }
        }
        return grants
    }

    private static func writeCount(_ count: Int, to writer: inout ByteWriter) throws(CodecError) {
        guard count <= ComSatProtocol.maximumItems else {
            throw CodecError(
                code: .lengthTooLarge, offset: writer.count,
                message: "\(count) items exceed the maximum \(ComSatProtocol.maximumItems) per command")
        }
        writer.writeUInt32(UInt32(count))
    }

    /// Reads an item count, refusing one the remaining bytes cannot possibly hold (each item
    /// takes at least its 2-byte length prefix), so a hostile count costs nothing.
    private static func readCount(from reader: inout ByteReader) throws(CodecError) -> Int {
        let offset = reader.offset
        let count = Int(try reader.readUInt32())
        guard count <= ComSatProtocol.maximumItems else {
            throw CodecError(
                code: .lengthTooLarge, offset: offset,
                message: "\(count) items exceed the maximum \(ComSatProtocol.maximumItems) per command")
        }
        guard count <= reader.remaining / 2 else {
            throw CodecError(
                code: .truncated, offset: offset,
                message: "\(count) items cannot fit in the remaining \(reader.remaining) bytes")
        }
        return count
    }
}
