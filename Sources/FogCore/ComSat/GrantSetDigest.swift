/// An order-independent digest of a whole grant set: the sum, modulo 2²⁵⁶, of every grant's
/// `GrantDigest`, plus the number of grants.
///
/// Adding or removing one grant is O(1) (add or subtract its digest), so the plugin keeps
/// it current on every change and answers a digest request without touching the table. The
/// controller computes the same value from its database; any difference means the two have
/// diverged and the controller should resynchronise (replace-all). A sum rather than an XOR
/// so that two equal digests do not cancel out.
public struct GrantSetDigest: Sendable, Hashable, CustomStringConvertible {
    public private(set) var count: UInt64
    private var sum: GrantDigest

    /// The digest of the empty set.
    public init() {
        count = 0
        sum = GrantDigest(0, 0, 0, 0)
    }

    /// The digest of `grants`, which must have distinct usernames to match a ComSat's.
    public init(_ grants: some Sequence<Grant>) throws(CodecError) {
        self.init()
        for grant in grants {
            insert(try GrantDigest(of: grant))
        }
    }

    /// Reads a count and a 32-byte sum.
    public init(from reader: inout ByteReader) throws(CodecError) {
        count = try reader.readUInt64()
        sum = try GrantDigest(from: &reader)
    }

    public mutating func insert(_ digest: GrantDigest) {
        count &+= 1
        sum = Self.add(sum, digest)
    }

    public mutating func remove(_ digest: GrantDigest) {
        count &-= 1
        sum = Self.subtract(sum, digest)
    }

    public func write(to writer: inout ByteWriter) {
        writer.writeUInt64(count)
        sum.write(to: &writer)
    }

    /// The 32-byte sum.
    public var sumBytes: [UInt8] { sum.bytes }

    public var description: String { "\(count) grants, sum \(sum)" }

    private static func add(_ a: GrantDigest, _ b: GrantDigest) -> GrantDigest {
        let (low, carry0) = a.low.addingReportingOverflow(b.low)
        let (lower, carry1) = addWithCarry(a.lower, b.lower, carry0)
        let (upper, carry2) = addWithCarry(a.upper, b.upper, carry1)
        let (high, _) = addWithCarry(a.high, b.high, carry2)
        return GrantDigest(high, upper, lower, low)
    }

    private static func subtract(_ a: GrantDigest, _ b: GrantDigest) -> GrantDigest {
        let (low, borrow0) = a.low.subtractingReportingOverflow(b.low)
        let (lower, borrow1) = subtractWithBorrow(a.lower, b.lower, borrow0)
        let (upper, borrow2) = subtractWithBorrow(a.upper, b.upper, borrow1)
        let (high, _) = subtractWithBorrow(a.high, b.high, borrow2)
        return GrantDigest(high, upper, lower, low)
    }

    private static func addWithCarry(_ a: UInt64, _ b: UInt64, _ carry: Bool) -> (UInt64, Bool) {
        let (partial, overflow1) = a.addingReportingOverflow(b)
        let (result, overflow2) = partial.addingReportingOverflow(carry ? 1 : 0)
        return (result, overflow1 || overflow2)
    }

    private static func subtractWithBorrow(_ a: UInt64, _ b: UInt64, _ borrow: Bool) -> (UInt64, Bool) {
        let (partial, overflow1) = a.subtractingReportingOverflow(b)
        let (result, overflow2) = partial.subtractingReportingOverflow(borrow ? 1 : 0)
        return (result, overflow1 || overflow2)
    }
}
