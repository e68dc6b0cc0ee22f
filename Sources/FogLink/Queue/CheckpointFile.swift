internal import FogCore

/// A 20-byte file holding one sequence number, replaced atomically: the queue's
/// acknowledgement point and the receive cursor.
///
/// Layout: 8-byte magic, u64 value, u32 CRC-32C of the first 16 bytes (big-endian). It is
/// written to `<path>.new`, synced, renamed over `path`, and the directory is synced, so a
/// crash leaves either the old or the new value, never a mixture.
enum CheckpointFile {
    static let size = 20

    static func temporaryPath(for path: String) -> String {
        path + ".new"
    }

    /// The stored value, or nil when the file does not exist.
    static func read(_ path: String, magic: [UInt8], what: String) throws(DiskQueueError) -> UInt64? {
        guard QueueDirectory.exists(path) else { return nil }
        let file = try QueueFile.open(path, readOnly: true)
        defer { file.close() }
        let bytes = try file.read(count: size + 1, at: 0)
        guard bytes.count == size, Array(bytes[0..<8]) == magic,
            CRC32C.checksum(bytes[0..<16]) == bytes.bigEndianUInt32(at: 16)
        else {
            throw DiskQueueError(
                code: .corrupt, path: path,
                message: "\(what) file is damaged (\(bytes.count) bytes, expected \(size) with a valid checksum); "
                    + "it is only ever replaced atomically, so this is disk damage or a foreign file")
        }
        return bytes.bigEndianUInt64(at: 8)
    }

    static func write(_ value: UInt64, to path: String, magic: [UInt8]) throws(DiskQueueError) {
        var bytes = magic
        bytes.appendBigEndian(value)
        bytes.appendBigEndian(CRC32C.checksum(bytes))
        let temporary = temporaryPath(for: path)
        try QueueDirectory.remove(file: temporary)
        let file = try QueueFile.open(temporary, create: true, exclusive: true)
        do throws(DiskQueueError) {
            try file.write(bytes, at: 0)
            try file.syncData()
            file.close()
            try QueueDirectory.rename(temporary, to: path)
        } catch {
            file.close()
            try? QueueDirectory.remove(file: temporary)
            throw error
        }
        try QueueDirectory.sync(QueueDirectory.parent(of: path))
    }
}
