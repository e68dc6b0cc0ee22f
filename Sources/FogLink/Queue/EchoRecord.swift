internal import FogCore
import Synchronization

/// The receiving half's durable "highest link sequence the local bus echoed back": proof
/// that the bus accepted the delivery of that message, written before the echo's PUBACK.
///
/// One `fdatasync` per update, no rename: the file holds two 20-byte slots (at 0 and 512,
/// each magic, u64 value, CRC-32C) and an update overwrites the slot holding the lower value,
/// so a torn write damages at most the slot being replaced while the other still holds the
/// previous value. Reading takes the higher valid slot.
///
/// Written from the bus client's network thread and read by the half's actor, hence the lock.
final class EchoRecord: Sendable {
    static let magic = Array("FOGLKEC1".utf8)
    static let slotOffsets: [UInt64] = [0, 512]

    let path: String
    private let state: Mutex<(file: QueueFile?, slots: [UInt64])>

    /// Opens (creating it, 0600) the record at `path`; the directory must exist.
    init(path: String) throws(DiskQueueError) {
        self.path = path
        let file = try QueueFile.open(path, create: true)
        var slots: [UInt64] = []
        do throws(DiskQueueError) {
            for offset in Self.slotOffsets {
                let bytes = try file.read(count: CheckpointFile.size, at: offset)
                slots.append(Self.decode(bytes) ?? 0)
            }
        } catch {
            file.close()
            throw error
        }
        state = Mutex((file, slots))
    }

    /// Highest sequence recorded; 0 before the first.
    var echoed: UInt64 {
        state.withLock { $0.slots.max() ?? 0 }
    }

    /// Durably records `sequence` when it is above the recorded value.
    func record(_ sequence: UInt64) throws(DiskQueueError) {
        try state.withLock { state throws(DiskQueueError) in
            guard let file = state.file, sequence > (state.slots.max() ?? 0) else { return }
            let slot = state.slots[0] <= state.slots[1] ? 0 : 1
            var bytes = Self.magic
            bytes.appendBigEndian(sequence)
            bytes.appendBigEndian(CRC32C.checksum(bytes))
            try file.write(bytes, at: Self.slotOffsets[slot])
            try file.syncData()
            state.slots[slot] = sequence
        }
    }

    func close() {
        state.withLock { state in
            state.file?.close()
            state.file = nil
        }
    }

    /// Deletes the record (decommission).
    static func remove(path: String) throws(DiskQueueError) {
        try QueueDirectory.remove(file: path)
        try QueueDirectory.sync(QueueDirectory.parent(of: path))
    }

    private static func decode(_ bytes: [UInt8]) -> UInt64? {
        guard bytes.count == CheckpointFile.size, Array(bytes[0..<8]) == magic,
            CRC32C.checksum(bytes[0..<16]) == bytes.bigEndianUInt32(at: 16)
        else { return nil }
        return bytes.bigEndianUInt64(at: 8)
    }
}
