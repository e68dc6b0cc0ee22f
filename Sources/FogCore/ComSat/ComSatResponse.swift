/// The plugin's answer to one request; the body of a response envelope.
///
/// Layout (big-endian): `u8 version` `u64 correlationID` `u8 command` (0 when the request
/// could not be decoded) `u8 status` `u16-prefixed reason` then, when the status is `ok` or
/// `storageFailed`, the command's result fields (docs/PROTOCOL.md "ComSat control protocol").
public struct ComSatResponse: Sendable, Hashable {
    /// Whether the command was carried out.
    public enum Status: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// Carried out; the body holds the results (items may still have failed one by one).
        case ok = 0
        /// The envelope was genuine but its body could not be decoded; nothing changed.
        case malformed = 1
        /// Applied in memory but the grant store could not be written; the plugin refuses
        /// further changes until restarted, after which the controller must resynchronise.
        case storageFailed = 2
        /// Genuine but not carried out: the plugin refuses grant changes after a storage
        /// failure, and refuses a change not newer than the last one before a restart (a
        /// replay the in-memory window can no longer recognise). Nothing changed.
        case refused = 3

        public var description: String {
            switch self {
            case .ok: "ok"
            case .malformed: "malformed"
            case .storageFailed: "storageFailed"
            case .refused: "refused"
            }
        }
    }

    /// One page entry of a `list` answer.
    public struct ListEntry: Sendable, Hashable {
        public var username: String
        public var digest: GrantDigest

        public init(username: String, digest: GrantDigest) {
            self.username = username
            self.digest = digest
        }
    }

    /// Command-specific results.
    public enum Body: Sendable, Hashable {
        /// No results: the request was malformed or refused.
        case none
        /// Per-item results of `addGrants` and `removeGrants`, in request order.
        case items([ComSatItemResult])
        /// Per-item results of `replaceAll` and how many grants it removed.
        case replaced(items: [ComSatItemResult], removed: UInt32)
        case digest(GrantSetDigest)
        /// `nextCursor` is nil after the last page.
        case list(entries: [ListEntry], nextCursor: UInt32?)
        case stats(ComSatStats)
        /// Client ids awaiting a session sweep; `nextCursor` is nil after the last page.
        case pendingSweeps(clientIDs: [String], nextCursor: UInt32?)
    }

    /// Longest reason string sent.
    public static let maximumReasonLength = 512
    private static let endOfList = UInt32.max

    /// Echo of the request's correlation id (0 when the request could not be decoded).
    public var correlationID: UInt64
    /// The command answered, nil when the request could not be decoded.
    public var command: ComSatCommand.Code?
    public var status: Status
    /// A short explanation for a failure or for refused items, like "3 of 1000 items
    /// refused; first: item 17 invalid: ..."; empty when everything succeeded.
    public var reason: String
    public var body: Body

    public init(correlationID: UInt64, command: ComSatCommand.Code?, status: Status, reason: String = "", body: Body) {
        self.correlationID = correlationID
        self.command = command
        self.status = status
        self.reason = reason
        self.body = body
    }

    public func encoded() -> [UInt8] {
        var writer = ByteWriter(capacity: 64)
        writer.writeUInt8(ComSatProtocol.version)
        writer.writeUInt64(correlationID)
        writer.writeUInt8(command?.rawValue ?? 0)
        writer.writeUInt8(status.rawValue)
        var reasonBytes = Array(reason.utf8.prefix(Self.maximumReasonLength))
        while !reasonBytes.isEmpty, String(validating: reasonBytes, as: UTF8.self) == nil {
            reasonBytes.removeLast()  // the cut fell inside a multi-byte character
        }
        writer.writeUInt16(UInt16(reasonBytes.count))
        writer.writeBytes(reasonBytes)
        switch body {
        case .none:
            break
        case .items(let items):
            Self.write(items, to: &writer)
        case .replaced(let items, let removed):
            Self.write(items, to: &writer)
            writer.writeUInt32(removed)
        case .digest(let digest):
            digest.write(to: &writer)
        case .list(let entries, let nextCursor):
            writer.writeUInt32(nextCursor ?? Self.endOfList)
            writer.writeUInt16(UInt16(clamping: entries.count))
            for entry in entries.prefix(Int(UInt16.max)) {
                let username = Array(entry.username.utf8.prefix(Grant.maximumIdentifierLength))
                writer.writeUInt16(UInt16(username.count))
                writer.writeBytes(username)
                entry.digest.write(to: &writer)
            }
        case .stats(let stats):
            stats.write(to: &writer)
        case .pendingSweeps(let clientIDs, let nextCursor):
            writer.writeUInt32(nextCursor ?? Self.endOfList)
            writer.writeUInt16(UInt16(clamping: clientIDs.count))
            for clientID in clientIDs.prefix(Int(UInt16.max)) {
                let bytes = Array(clientID.utf8.prefix(Grant.maximumIdentifierLength))
                writer.writeUInt16(UInt16(bytes.count))
                writer.writeBytes(bytes)
            }
        }
        return writer.bytes
    }

    /// Decodes a response strictly (unknown version, status or item code, and trailing
    /// bytes are errors). The caller must have verified the envelope it came in.
    public static func decode(_ bytes: [UInt8]) throws(CodecError) -> ComSatResponse {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8()
        guard version == ComSatProtocol.version else {
            throw CodecError(code: .invalidValue, offset: 0, message: "unknown ComSat protocol version \(version)")
        }
        let correlationID = try reader.readUInt64()
        let commandOffset = reader.offset
        let commandValue = try reader.readUInt8()
        let command = ComSatCommand.Code(rawValue: commandValue)
        guard command != nil || commandValue == 0 else {
            throw CodecError(code: .invalidValue, offset: commandOffset, message: "unknown ComSat command \(commandValue)")
        }
        let statusOffset = reader.offset
        let statusValue = try reader.readUInt8()
        guard let status = Status(rawValue: statusValue) else {
            throw CodecError(code: .invalidValue, offset: statusOffset, message: "unknown ComSat status \(statusValue)")
        }
        let reason = String(decoding: try reader.readLengthPrefixed16(maximum: maximumReasonLength), as: UTF8.self)
        let body: Body
        if status == .malformed || status == .refused || command == nil {
            body = .none
        } else {
            switch command {
            case .addGrants, .removeGrants:
                body = .items(try readItems(from: &reader))
            case .replaceAll:
                body = .replaced(items: try readItems(from: &reader), removed: try reader.readUInt32())
            case .digest:
                body = .digest(try GrantSetDigest(from: &reader))
            case .list:
                let next = try reader.readUInt32()
                let count = Int(try reader.readUInt16())
                var entries: [ListEntry] = []
                for _ in 0..<count {
                    let username = try reader.readLengthPrefixed16(maximum: Grant.maximumIdentifierLength)
                    entries.append(ListEntry(
                        username: String(decoding: username, as: UTF8.self), digest: try GrantDigest(from: &reader)))
                }
                body = .list(entries: entries, nextCursor: next == endOfList ? nil : next)
            case .stats:
                body = .stats(try ComSatStats(from: &reader))
            case .pendingSweeps:
                let next = try reader.readUInt32()
                let count = Int(try reader.readUInt16())
                var clientIDs: [String] = []
                for _ in 0..<count {
                    let clientID = try reader.readLengthPrefixed16(maximum: Grant.maximumIdentifierLength)
                    clientIDs.append(String(decoding: clientID, as: UTF8.self))
                }
                body = .pendingSweeps(clientIDs: clientIDs, nextCursor: next == endOfList ? nil : next)
            case nil:
                body = .none
            }
        }
        try reader.expectEnd()
        return ComSatResponse(correlationID: correlationID, command: command, status: status, reason: reason, body: body)
    }

    /// The per-item results of an `addGrants`, `removeGrants` or `replaceAll` answer; empty
    /// for other bodies.
    public var itemResults: [ComSatItemResult] {
        switch body {
        case .items(let items), .replaced(let items, _): items
        case .none, .digest, .list, .stats, .pendingSweeps: []
        }
    }

    private static func write(_ items: [ComSatItemResult], to writer: inout ByteWriter) {
        writer.writeUInt32(UInt32(clamping: items.count))
        for item in items {
            writer.writeUInt8(item.rawValue)
        }
    }

    private static func readItems(from reader: inout ByteReader) throws(CodecError) -> [ComSatItemResult] {
        let countOffset = reader.offset
        let count = Int(try reader.readUInt32())
        guard count <= reader.remaining else {
            throw CodecError(code: .truncated, offset: countOffset, message: "\(count) item results, \(reader.remaining) bytes left")
        }
        var items: [ComSatItemResult] = []
        items.reserveCapacity(count)
        for _ in 0..<count {
            let offset = reader.offset
            let value = try reader.readUInt8()
            guard let item = ComSatItemResult(rawValue: value) else {
                throw CodecError(code: .invalidValue, offset: offset, message: "unknown item result \(value)")
            }
            items.append(item)
        }
        return items
    }
}
