internal import FogSystem
internal import Glibc

/// A queue file: `PositionalFile` with failures as `DiskQueueError`s naming the path, the call
/// and errno.
///
/// A value without a deinit on purpose: the queue decides when each descriptor closes (a
/// segment's descriptor is shared by the actor's reads and the commit thread's writes).
struct QueueFile: Sendable {
    let file: PositionalFile

    var path: String { file.path }

    /// Opens for reading and writing (or only reading when `readOnly`); creates the file
    /// with mode 0600 when `create`, failing if it exists when `exclusive`.
    static func open(
        _ path: String, create: Bool = false, exclusive: Bool = false, readOnly: Bool = false
    ) throws(DiskQueueError) -> QueueFile {
        QueueFile(file: try mapped { () throws(FileError) in
            try PositionalFile.open(path, create: create, exclusive: exclusive, readOnly: readOnly)
        })
    }

    func size() throws(DiskQueueError) -> UInt64 { try mapped { () throws(FileError) in try file.size() } }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(count: Int, at offset: UInt64) throws(DiskQueueError) -> [UInt8] {
        try mapped { () throws(FileError) in try file.read(count: count, at: offset) }
    }

    func readAll() throws(DiskQueueError) -> [UInt8] { try mapped { () throws(FileError) in try file.readAll() } }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: UInt64) throws(DiskQueueError) {
        try mapped { () throws(FileError) in try file.write(bytes, at: offset) }
    }

    /// Flushes the data and the size (which reading it back needs) to stable storage.
    func syncData() throws(DiskQueueError) { try mapped { () throws(FileError) in try file.syncData() } }

    func truncate(to length: UInt64) throws(DiskQueueError) {
        try mapped { () throws(FileError) in try file.truncate(to: length) }
    }

    func close() {
        file.close()
    }

    /// A failed system call on `path` as the queue reports it.
    static func error(_ operation: String, path: String, errno code: CInt = errno) -> DiskQueueError {
        DiskQueueError(FileError(.ioFailed, "\(operation) failed", path, errno: code))
    }
}

/// Runs a `FileError`-throwing operation for the queue.
func mapped<T>(_ body: () throws(FileError) -> T) throws(DiskQueueError) -> T {
    do {
        return try body()
    } catch {
        throw DiskQueueError(error)
    }
}

extension DiskQueueError {
    init(_ error: FileError) {
        self.init(code: error.code == .locked ? .locked : .io, path: error.path, message: error.detail)
    }
}
