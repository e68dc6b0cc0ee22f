import FogCore

/// The plaintext of a sealed frame: up to three records, in this order, each at most once,
/// at least one, nothing after the last:
///
///     0x01 ack:   u64 sequence; every message up to it was delivered on the peer's bus
///     0x02 floor: u64 sequence; the sender holds no message below it (acknowledged, or
///                 discarded by a full queue), so the receiver stops waiting for those
///     0x03 data:  u64 first sequence, u16 count (1...), then per message
///                 u16 channel, LEB128 length (minimal), payload
public struct LinkPayload: Sendable, Hashable {
    /// Bound on the plaintext of one frame; a sender closes a batch before crossing it.
    public static let maximumSize = 256 * 1024
    /// Bytes a data record adds to its frame, besides the per-message overhead.
    public static let dataRecordOverhead = 1 + 8 + 2

    public var acknowledged: UInt64?
    public var floor: UInt64?
    /// Sequence number of `messages[0]`; the rest follow without gaps.
    public var firstSequence: UInt64
    public var messages: [LinkMessage]

    public init(
        acknowledged: UInt64? = nil, floor: UInt64? = nil, firstSequence: UInt64 = 0, messages: [LinkMessage] = []
    ) {
        self.acknowledged = acknowledged
        self.floor = floor
        self.firstSequence = firstSequence
        self.messages = messages
    }

    /// Bytes one message adds to a data record.
    public static func encodedSize(of message: LinkMessage) -> Int {
        2 + LEB128.size(of: UInt64(message.payload.count)) + message.payload.count
    }

    /// Sequence number of the last message, if any.
    public var lastSequence: UInt64? {
        messages.isEmpty ? nil : firstSequence + UInt64(messages.count - 1)
    }

    public func encoded() throws(LinkProtocolError) -> [UInt8] {
        guard acknowledged != nil || floor != nil || !messages.isEmpty else {
            throw LinkProtocolError(.malformed, "a frame carries an acknowledgement, a floor or messages")
        }
        guard messages.count <= Int(UInt16.max) else {
            throw LinkProtocolError(.tooLarge, "\(messages.count) messages in one frame; at most \(UInt16.max)")
        }
        var writer = ByteWriter(capacity: 32 + messages.reduce(0) { $0 + Self.encodedSize(of: $1) })
        if let acknowledged {
            writer.writeUInt8(RecordType.ack)
            writer.writeUInt64(acknowledged)
        }
        if let floor {
            writer.writeUInt8(RecordType.floor)
            writer.writeUInt64(floor)
        }
        if !messages.isEmpty {
            guard firstSequence >= 1, firstSequence <= UInt64.max - UInt64(messages.count),
                floor.map({ $0 <= firstSequence }) ?? true
            else {
                throw LinkProtocolError(.malformed, "message sequence \(firstSequence) out of range")
            }
            writer.writeUInt8(RecordType.data)
            writer.writeUInt64(firstSequence)
            writer.writeUInt16(UInt16(messages.count))
            for message in messages {
                guard message.payload.count <= LinkMessage.maximumPayloadSize else {
                    throw LinkProtocolError(
                        .tooLarge,
                        "message of \(message.payload.count) bytes; at most \(LinkMessage.maximumPayloadSize)")
                }
                writer.writeUInt16(message.channel)
                LEB128.write(UInt64(message.payload.count), to: &writer)
                writer.writeBytes(message.payload)
            }
        }
        guard writer.count <= Self.maximumSize else {
            throw LinkProtocolError(.tooLarge, "frame plaintext of \(writer.count) bytes; at most \(Self.maximumSize)")
        }
        return writer.bytes
    }

    public init(decoding bytes: [UInt8]) throws(LinkProtocolError) {
        guard bytes.count <= Self.maximumSize else {
            throw LinkProtocolError(.tooLarge, "frame plaintext of \(bytes.count) bytes")
        }
        do {
            self = try Self.decode(bytes)
        } catch {
            throw LinkProtocolError(.malformed, "frame plaintext: \(error)")
        }
    }

    private static func decode(_ bytes: [UInt8]) throws(CodecError) -> LinkPayload {
        var reader = ByteReader(bytes)
        var payload = LinkPayload()
        var previous: UInt8 = 0
        while !reader.isAtEnd {
            let offset = reader.offset
            let type = try reader.readUInt8()
            guard type > previous else {
                throw CodecError(code: .invalidValue, offset: offset, message: "record \(type) after record \(previous)")
            }
            previous = type
            switch type {
            case RecordType.ack:
                payload.acknowledged = try reader.readUInt64()
            case RecordType.floor:
                payload.floor = try reader.readUInt64()
            case RecordType.data:
                try readData(into: &payload, from: &reader)
            default:
                throw CodecError(code: .invalidValue, offset: offset, message: "unknown record type \(type)")
            }
        }
        guard previous != 0 else {
            throw CodecError(code: .truncated, offset: 0, message: "frame without records")
        }
        return payload
    }

    private static func readData(into payload: inout LinkPayload, from reader: inout ByteReader) throws(CodecError) {
        let first = try reader.readUInt64()
        let countOffset = reader.offset
        let count = Int(try reader.readUInt16())
        guard count >= 1, first >= 1, first <= UInt64.max - UInt64(count), payload.floor.map({ $0 <= first }) ?? true
        else {
            throw CodecError(
                code: .invalidValue, offset: countOffset, message: "data record with \(count) messages from \(first)")
        }
        var messages: [LinkMessage] = []
        messages.reserveCapacity(count)
        for _ in 0..<count {
            let channel = try reader.readUInt16()
            let length = try LEB128.read(from: &reader, maximum: UInt64(LinkMessage.maximumPayloadSize))
            messages.append(LinkMessage(channel: channel, payload: try reader.readBytes(count: Int(length))))
        }
        payload.firstSequence = first
        payload.messages = messages
    }

    private enum RecordType {
        static let ack: UInt8 = 0x01
        static let floor: UInt8 = 0x02
        static let data: UInt8 = 0x03
    }
}
