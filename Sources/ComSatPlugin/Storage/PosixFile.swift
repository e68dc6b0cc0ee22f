internal import Glibc

/// An open file descriptor with the few operations the plugin's storage needs, each turning
/// a failed system call into a `StorageError` that names the path, the call and errno.
///
/// Not a class with a deinit on purpose: the journal decides exactly when its descriptor
/// closes (after a compaction's rename, the old one must stay locked until the new one is).
struct PosixFile {
    let path: String
    let descriptor: CInt

    /// Opens for reading and writing (or only reading when `readOnly`), creating the file
    /// with `mode` (0600 unless given) when `create`, failing if it exists when `exclusive`.
    static func open(
        _ path: String, create: Bool, truncate: Bool = false, exclusive: Bool = false, readOnly: Bool = false,
        mode: UInt32 = 0o600
    ) throws(StorageError) -> PosixFile {
        var flags = (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC
        if create { flags |= O_CREAT }
        if truncate { flags |= O_TRUNC }
        if exclusive { flags |= O_EXCL }
        let descriptor = Glibc.open(path, flags, mode_t(mode))
        guard descriptor >= 0 else { throw error("open", path: path) }
        return PosixFile(path: path, descriptor: descriptor)
    }

    /// True when `path` names an existing file.
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    /// Takes an exclusive advisory lock, waiting at most about a second for it.
    ///
    /// The wait is bounded so a second broker on the same store still fails at start-up.
    /// It exists because a lock belongs to the open file description: while any process of
    /// the same parent is between fork and exec, it shares the description (O_CLOEXEC only
    /// acts at exec), so a process that closes and reopens its store can briefly find its
    /// own old lock still held.
    func lockExclusively() throws(StorageError) {
        for attempt in 0..<Self.lockAttempts {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return }
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                throw Self.error("flock", path: path, errno: code)
            }
            if attempt + 1 < Self.lockAttempts { usleep(Self.lockRetryMicroseconds) }
        }
        throw StorageError(
            code: .locked, path: path,
            message: "locked by another process (is a second broker using this grant store?)")
    }

    private static let lockAttempts = 100
    private static let lockRetryMicroseconds: UInt32 = 10_000

    func size() throws(StorageError) -> UInt64 {
        UInt64(try status().st_size)
    }

    /// Permission bits (e.g. 0o600).
    func permissions() throws(StorageError) -> UInt32 {
        UInt32(try status().st_mode) & 0o7777
    }

    private func status() throws(StorageError) -> stat {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Self.error("fstat", path: path) }
        return info
    }

    /// Reads the whole file from offset 0.
    func readAll() throws(StorageError) -> [UInt8] {
        let length = Int(try size())
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        while done < length {
            let count = bytes.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pread(descriptor, base + done, length - done, off_t(done))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.error("read", path: path)
            }
            if count == 0 { break }  // shrank under us; parse what was read
            done += count
        }
        return Array(bytes[0..<done])
    }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: UInt64) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let count = bytes.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return pwrite(descriptor, base + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.error("write", path: path)
            }
            if count == 0 {
                throw StorageError(code: .io, path: path, message: "write made no progress at offset \(offset + UInt64(done))")
            }
            done += count
        }
    }

    /// Flushes data (and the size, which reading it back needs) to stable storage.
    func syncData() throws(StorageError) {
        guard fdatasync(descriptor) == 0 else { throw Self.error("fdatasync", path: path) }
    }

    func truncate(to length: UInt64) throws(StorageError) {
        guard ftruncate(descriptor, off_t(length)) == 0 else { throw Self.error("ftruncate", path: path) }
    }

    func close() {
        _ = Glibc.close(descriptor)
    }

    /// Atomically replaces `destination` with `source`.
    static func rename(_ source: String, to destination: String) throws(StorageError) {
        guard Glibc.rename(source, destination) == 0 else { throw error("rename to \(destination)", path: source) }
    }

    static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// Makes a directory entry change (create, rename) durable.
    static func syncDirectory(containing path: String) throws(StorageError) {
        let directory = directoryName(of: path)
        let descriptor = Glibc.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw error("open directory", path: directory) }
        defer { _ = Glibc.close(descriptor) }
        guard fsync(descriptor) == 0 else { throw error("fsync directory", path: directory) }
    }

    static func directoryName(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        if slash == path.utf8.startIndex { return "/" }
        return String(path[..<slash])
    }

    static func error(_ operation: String, path: String, errno code: CInt = errno) -> StorageError {
        let reason = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return StorageError(code: .io, path: path, message: "\(operation) failed: \(reason)")
    }
}
