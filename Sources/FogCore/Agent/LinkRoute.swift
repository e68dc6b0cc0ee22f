/// One mapping between a topic on the agent's local bus and a channel of a link.
///
/// Both halves of a link share channel numbers (the controller assigns them), so an outbound
/// route on one side and an inbound route on the other with the same channel connect a
/// producer's output topic to a consumer's input topic without either side learning the
/// other's topic names.
///
/// Layout: `u16` channel, `u8` direction (1 outbound, 2 inbound), 2+n local topic (UTF-8,
/// 1...256 bytes, no `+`, `#` or NUL).
public struct LinkRoute: Sendable, Hashable {
    public enum Direction: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        /// Messages published on the local topic are carried over the link.
        case outbound = 1
        /// Messages arriving on the channel are published on the local topic.
        case inbound = 2

        public var description: String { self == .outbound ? "outbound" : "inbound" }
    }

    public static let maximumTopicLength = 256
    /// Most routes one link half carries.
    public static let maximumCount = 64

    public var channel: UInt16
    public var direction: Direction
    public var localTopic: String

    public init(channel: UInt16, direction: Direction, localTopic: String) {
        self.channel = channel
        self.direction = direction
        self.localTopic = localTopic
    }

    func write(to writer: inout ByteWriter) throws(CodecError) {
        writer.writeUInt16(channel)
        writer.writeUInt8(direction.rawValue)
        guard Self.isValidTopic(localTopic) else {
            throw CodecError(
                code: .invalidValue, offset: writer.count,
                message: "local topic must be 1...\(Self.maximumTopicLength) bytes without wildcards or NUL")
        }
        try WireText.write(localTopic, field: "local topic", maximum: Self.maximumTopicLength, to: &writer)
    }

    init(from reader: inout ByteReader) throws(CodecError) {
        channel = try reader.readUInt16()
        let directionOffset = reader.offset
        let raw = try reader.readUInt8()
        guard let direction = Direction(rawValue: raw) else {
            throw CodecError(code: .invalidValue, offset: directionOffset, message: "unknown route direction \(raw)")
        }
        self.direction = direction
        let topicOffset = reader.offset
        localTopic = try WireText.read(from: &reader, field: "local topic", maximum: Self.maximumTopicLength)
        guard Self.isValidTopic(localTopic) else {
            throw CodecError(
                code: .invalidValue, offset: topicOffset,
                message: "local topic must be 1...\(Self.maximumTopicLength) bytes without wildcards or NUL")
        }
    }

    /// A concrete MQTT topic: non-empty, bounded, no wildcards (a route names one topic).
    public static func isValidTopic(_ topic: String) -> Bool {
        let bytes = topic.utf8
        return (1...maximumTopicLength).contains(bytes.count)
            && !bytes.contains { $0 == 0x2B || $0 == 0x23 || $0 == 0 }
    }

    /// `u16` count (0...`maximumCount`), then each route.
    static func writeList(_ routes: [LinkRoute], to writer: inout ByteWriter) throws(CodecError) {
        guard routes.count <= maximumCount else {
            throw CodecError(
                code: .lengthTooLarge, offset: writer.count,
                message: "\(routes.count) routes; at most \(maximumCount) allowed")
        }
        writer.writeUInt16(UInt16(routes.count))
        for route in routes {
            try route.write(to: &writer)
        }
    }

    static func readList(from reader: inout ByteReader) throws(CodecError) -> [LinkRoute] {
        let countOffset = reader.offset
        let count = Int(try reader.readUInt16())
        guard count <= maximumCount else {
            throw CodecError(
                code: .lengthTooLarge, offset: countOffset, message: "\(count) routes; at most \(maximumCount) allowed")
        }
        var routes: [LinkRoute] = []
        for _ in 0..<count {
            routes.append(try LinkRoute(from: &reader))
        }
        return routes
    }
}
