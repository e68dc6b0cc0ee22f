/// A periodic snapshot of what the agent runs, for presence and for `fogctl` listings.
///
/// Compact fixed-width fields: status is sent often, so it carries states and counters, not
/// text (a microservice's name is the only string).
///
/// Layout (big-endian):
///
///     8   last applied command sequence
///     2   microservice count, 0...1024; each:
///           2+n name, 1   state, 4   restart count
///     2   link half count, 0...1024; each:
///           16  link id, 1 side, 1 state, 8 queued messages, 8 queued bytes
public struct AgentStatus: Sendable, Hashable {
    public static let maximumEntryCount = 1_024

    public struct Microservice: Sendable, Hashable {
        public enum State: UInt8, Sendable, CaseIterable {
            case starting = 1
            case running = 2
            case backingOff = 3
            case stopped = 4
            case failed = 5
        }

        public var name: String
        public var state: State
        /// Restarts since the spec was deployed.
        public var restarts: UInt32

        public init(name: String, state: State, restarts: UInt32) {
            self.name = name
            self.state = state
            self.restarts = restarts
        }
    }

    public struct LinkHalf: Sendable, Hashable {
        public enum State: UInt8, Sendable, CaseIterable {
            case connecting = 1
            case handshaking = 2
            case up = 3
            case down = 4
        }

        public var linkID: OpaqueID
        public var side: Grant.LinkSide
        public var state: State
        /// Messages in the outbound disk queue not yet acknowledged by the peer.
        public var queuedMessages: UInt64
        public var queuedBytes: UInt64

        public init(linkID: OpaqueID, side: Grant.LinkSide, state: State, queuedMessages: UInt64, queuedBytes: UInt64) {
            self.linkID = linkID
            self.side = side
            self.state = state
            self.queuedMessages = queuedMessages
            self.queuedBytes = queuedBytes
        }
    }

    /// Tells the controller where to resume after a gap (see `SequencedAgentCommand`).
    public var lastAppliedSequence: UInt64
    public var microservices: [Microservice]
    public var linkHalves: [LinkHalf]

    public init(lastAppliedSequence: UInt64, microservices: [Microservice] = [], linkHalves: [LinkHalf] = []) {
        self.lastAppliedSequence = lastAppliedSequence
        self.microservices = microservices
        self.linkHalves = linkHalves
    }

    func write(to writer: inout ByteWriter) throws(CodecError) {
        writer.writeUInt64(lastAppliedSequence)
        try Self.writeCount(microservices.count, field: "microservices", to: &writer)
        for service in microservices {
            try MicroserviceSpec.writeName(service.name, to: &writer)
            writer.writeUInt8(service.state.rawValue)
            writer.writeUInt32(service.restarts)
        }
        try Self.writeCount(linkHalves.count, field: "link halves", to: &writer)
        for half in linkHalves {
            half.linkID.write(to: &writer)
            writer.writeUInt8(half.side.rawValue)
            writer.writeUInt8(half.state.rawValue)
            writer.writeUInt64(half.queuedMessages)
            writer.writeUInt64(half.queuedBytes)
        }
    }

    init(from reader: inout ByteReader) throws(CodecError) {
        lastAppliedSequence = try reader.readUInt64()
        var microservices: [Microservice] = []
        for _ in 0..<(try Self.readCount(from: &reader, field: "microservices")) {
            let name = try MicroserviceSpec.readName(from: &reader)
            let stateOffset = reader.offset
            let raw = try reader.readUInt8()
            guard let state = Microservice.State(rawValue: raw) else {
                throw CodecError(code: .invalidValue, offset: stateOffset, message: "unknown microservice state \(raw)")
            }
            microservices.append(Microservice(name: name, state: state, restarts: try reader.readUInt32()))
        }
        var linkHalves: [LinkHalf] = []
        for _ in 0..<(try Self.readCount(from: &reader, field: "link halves")) {
            let linkID = try OpaqueID(from: &reader)
            let side = try LinkHalfAssignment.readSide(from: &reader)
            let stateOffset = reader.offset
            let raw = try reader.readUInt8()
            guard let state = LinkHalf.State(rawValue: raw) else {
                throw CodecError(code: .invalidValue, offset: stateOffset, message: "unknown link half state \(raw)")
            }
            linkHalves.append(
                LinkHalf(
                    linkID: linkID, side: side, state: state, queuedMessages: try reader.readUInt64(),
                    queuedBytes: try reader.readUInt64()))
        }
        self.microservices = microservices
        self.linkHalves = linkHalves
    }

    private static func writeCount(_ count: Int, field: String, to writer: inout ByteWriter) throws(CodecError) {
        guard count <= maximumEntryCount else {
            throw CodecError(
                code: .lengthTooLarge, offset: writer.count,
                message: "\(count) \(field); at most \(maximumEntryCount) allowed")
        }
        writer.writeUInt16(UInt16(count))
    }

    private static func readCount(from reader: inout ByteReader, field: String) throws(CodecError) -> Int {
        let offset = reader.offset
        let count = Int(try reader.readUInt16())
        guard count <= maximumEntryCount else {
            throw CodecError(
                code: .lengthTooLarge, offset: offset,
                message: "\(count) \(field); at most \(maximumEntryCount) allowed")
        }
        return count
    }
}
