internal import Glibc

/// An open file descriptor with positional reads and writes, for the append-only stores
/// (the ComSat's grant journal, the link half's queue segments). Each failed system call
/// becomes a `FileError` naming the path, the call and `errno`; callers map it into their
/// own error type.
///
/// A value without a deinit on purpose: its owner decides exactly when the descriptor closes
/// (a journal keeps its old descriptor locked until a compaction's new file is; a queue
/// segment's descriptor is shared by readers and the commit thread).
public struct PositionalFile: Sendable {
    public let path: String
    public let descriptor: CInt

    /// Opens for reading and writing (or only reading when `readOnly`), creating the file with
    /// `mode` (0600 unless given) when `create`, failing if it exists when `exclusive`.
    public static func open(
        _ path: String, create: Bool = false, truncate: Bool = false, exclusive: Bool = false, readOnly: Bool = false,
        mode: UInt32 = 0o600
    ) throws(FileError) -> PositionalFile {
        var flags = (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC
        if create { flags |= O_CREAT }
        if truncate { flags |= O_TRUNC }
        if exclusive { flags |= O_EXCL }
        let descriptor = Glibc.open(path, flags, mode_t(mode))
        guard descriptor >= 0 else { throw failure("open", path) }
        return PositionalFile(path: path, descriptor: descriptor)
    }

    public func size() throws(FileError) -> UInt64 {
        UInt64(try status().st_size)
    }

    /// Permission bits (e.g. 0o600).
    public func permissions() throws(FileError) -> UInt32 {
        UInt32(try status().st_mode) & 0o7777
    }

    private func status() throws(FileError) -> stat {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Self.failure("fstat", path) }
        return info
    }

    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    public func read(count: Int, at offset: UInt64) throws(FileError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let result = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(descriptor, base + done, count - done, off_t(offset) + off_t(done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.failure("read", path)
            }
            if result == 0 { break }
            done += result
        }
        if done < count { bytes.removeSubrange(done...) }
        return bytes
    }

    /// Reads the whole file from offset 0 (what is there if it shrinks meanwhile).
    public func readAll() throws(FileError) -> [UInt8] {
        try read(count: Int(try size()), at: 0)
    }

    /// Writes all of `bytes` at `offset`.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws(FileError) {
        var done = 0
        while done < bytes.count {
            let result = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pwrite(descriptor, base + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw Self.failure("write", path)
            }
            if result == 0 {
                throw FileError(.ioFailed, "write made no progress at offset \(offset + UInt64(done))", path)
            }
            done += result
        }
    }

    /// Flushes the data and the size (which reading it back needs) to stable storage.
    public func syncData() throws(FileError) {
        guard fdatasync(descriptor) == 0 else { throw Self.failure("fdatasync", path) }
    }

    public func truncate(to length: UInt64) throws(FileError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw Self.failure("ftruncate", path) }
    }

    /// Takes an exclusive advisory lock, waiting at most about a second for it; `.locked`
    /// after that, with `holder` saying who the other process probably is.
    ///
    /// The wait is bounded so a second process on the same store still fails at start-up.
    /// It exists because a lock belongs to the open file description: while any process of
    /// the same parent is between fork and exec, it shares the description (O_CLOEXEC only
    /// acts at exec), so a process that closes and reopens its store can briefly find its
    /// own old lock still held.
    public func lockExclusively(holder: String) throws(FileError) {
        try Self.lock(descriptor, path: path, holder: holder)
    }

    public func close() {
        _ = Glibc.close(descriptor)
    }

    /// `lockExclusively` for any descriptor (e.g. a directory's).
    public static func lock(_ descriptor: CInt, path: String, holder: String) throws(FileError) {
        for attempt in 0..<lockAttempts {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return }
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else { throw failure("flock", path, errno: code) }
            if attempt + 1 < lockAttempts { usleep(lockRetryMicroseconds) }
        }
        throw FileError(.locked, "locked by another process (is \(holder)?)", path)
    }

    private static let lockAttempts = 100
    private static let lockRetryMicroseconds: UInt32 = 10_000

    /// Atomically replaces `destination` with `source`.
    public static func rename(_ source: String, to destination: String) throws(FileError) {
        guard Glibc.rename(source, destination) == 0 else { throw failure("rename to \(destination)", source) }
    }

    /// Deletes a file; a missing one is not an error.
    public static func remove(_ path: String) throws(FileError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw failure("unlink", path) }
    }

    /// Makes entry changes in `directory` (create, rename, unlink) durable.
    public static func syncDirectory(_ directory: String) throws(FileError) {
        let descriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure("open directory", directory) }
        defer { _ = Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("fsync directory", directory) }
    }

    /// The directory part of `path` ("." without one, "/" for the root); trailing slashes ignored.
    public static func directoryName(of path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        if slash == trimmed.startIndex { return "/" }
        return String(trimmed[..<slash])
    }

    /// True when anything exists at `path` (following symbolic links).
    public static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    static func failure(_ operation: String, _ path: String, errno code: CInt = errno) -> FileError {
        FileError(.ioFailed, "\(operation) failed", path, errno: code)
    }
}
