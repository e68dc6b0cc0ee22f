/// The plugin's counters, as returned by the `stats` command.
///
/// Counters run from the broker's start (they are not persisted); gauges (`grants`,
/// `links`, `optedInLinks`, `pendingSweeps`, `journalBytes`) are current values. On the
/// wire each value is an (id, u64) pair so that new counters can be added without a
/// version change; unknown ids are ignored when decoding.
public struct ComSatStats: Sendable, Hashable {
    public var grants: UInt64 = 0
    public var links: UInt64 = 0
    public var optedInLinks: UInt64 = 0
    public var authAccepted: UInt64 = 0
    public var authRefused: UInt64 = 0
    public var aclDenied: UInt64 = 0
    public var controlAccepted: UInt64 = 0
    public var controlRefused: UInt64 = 0
    public var pendingSweeps: UInt64 = 0
    public var sweepsCompleted: UInt64 = 0
    public var kicks: UInt64 = 0
    public var journalBytes: UInt64 = 0
    public var journalCompactions: UInt64 = 0

    public init() {}

    /// (wire id, value) pairs in id order.
    private var fields: [(id: UInt16, value: UInt64)] {
        [
            (1, grants), (2, links), (3, optedInLinks), (4, authAccepted), (5, authRefused),
            (6, aclDenied), (7, controlAccepted), (8, controlRefused), (9, pendingSweeps),
            (10, sweepsCompleted), (11, kicks), (12, journalBytes), (13, journalCompactions),
        ]
    }

    private mutating func set(id: UInt16, value: UInt64) {
        switch id {
        case 1: grants = value
        case 2: links = value
        case 3: optedInLinks = value
        case 4: authAccepted = value
        case 5: authRefused = value
        case 6: aclDenied = value
        case 7: controlAccepted = value
        case 8: controlRefused = value
        case 9: pendingSweeps = value
        case 10: sweepsCompleted = value
        case 11: kicks = value
        case 12: journalBytes = value
        case 13: journalCompactions = value
        default: break  // a counter from a newer plugin
        }
    }

    public func write(to writer: inout ByteWriter) {
        let fields = fields
        writer.writeUInt16(UInt16(fields.count))
        for field in fields {
            writer.writeUInt16(field.id)
            writer.writeUInt64(field.value)
        }
    }

    public init(from reader: inout ByteReader) throws(CodecError) {
        let count = try reader.readUInt16()
        for _ in 0..<count {
            let id = try reader.readUInt16()
            set(id: id, value: try reader.readUInt64())
        }
    }
}
