/// One durable record read back from a `DiskQueue`.
public struct DiskQueueRecord: Sendable, Hashable {
    public var sequence: UInt64
    public var bytes: [UInt8]

    public init(sequence: UInt64, bytes: [UInt8]) {
        self.sequence = sequence
        self.bytes = bytes
    }
}
