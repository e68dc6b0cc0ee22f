internal import Glibc

/// Owner-only files written atomically and read with checks: the one implementation behind
/// the controller's home (`HomeFile`), the agent's state directory (`StateFile`) and the
/// link half's files, which map `FileError` into their own error types.
///
/// A write goes to a unique temporary name in the same directory (created with O_EXCL and
/// the final mode, so no other user can open it in between), is synced, renamed over the
/// target, and the directory is synced: a power cut leaves the old file or the new one,
/// never a torn key.
public enum PrivateFile {
    /// What an existing path must be.
    public enum Kind: Sendable {
        case file, directory
    }

    /// Writes `bytes` to `path` atomically with `mode` (0600 unless said otherwise).
    public static func write(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o600) throws(FileError) {
        let (directory, name) = split(path)
        let temporary = directory + "/." + name + ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        guard descriptor >= 0 else { throw FileError(.ioFailed, "cannot create", temporary, errno: errno) }
        var failure: FileError?
        var written = 0
        while written < bytes.count, failure == nil {
            let result = bytes[written...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if result > 0 {
                written += result
            } else if result < 0, errno != EINTR {
                failure = FileError(.ioFailed, "cannot write", temporary, errno: errno)
            }
        }
        // The umask may have narrowed the mode at creation; set exactly what was asked.
        if failure == nil, fchmod(descriptor, mode_t(mode)) != 0 || fsync(descriptor) != 0 {
            failure = FileError(.ioFailed, "cannot sync", temporary, errno: errno)
        }
        _ = close(descriptor)
        if failure == nil, rename(temporary, path) != 0 {
            failure = FileError(.ioFailed, "cannot rename into place", path, errno: errno)
        }
        if let failure {
            _ = unlink(temporary)
            throw failure
        }
        syncDirectory(directory)
    }

    /// Reads a whole file of at most `maximumSize` bytes. With `requirePrivate` the file must
    /// be accessible by its owner only.
    public static func read(_ path: String, requirePrivate: Bool = true, maximumSize: Int) throws(FileError)
        -> [UInt8]
    {
        let status = try inspect(path, kind: .file, requirePrivate: requirePrivate)
        guard Int(status.st_size) <= maximumSize else {
            throw FileError(.tooLarge, "is \(status.st_size) bytes, more than \(maximumSize)", path)
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError(.ioFailed, "cannot open", path, errno: errno) }
        defer { _ = close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError(.ioFailed, "cannot read", path, errno: errno)
            }
            bytes += buffer[..<count]
            guard bytes.count <= maximumSize else {
                throw FileError(.tooLarge, "grew beyond \(maximumSize) bytes while read", path)
            }
        }
        return bytes
    }

    /// Refuses a path that is missing, of the wrong kind, or accessible by group or others.
    public static func checkPrivate(_ path: String, kind: Kind) throws(FileError) {
        _ = try inspect(path, kind: kind, requirePrivate: true)
    }

    /// Creates a directory with `mode` (0700 unless said otherwise). An existing path is
    /// `.exists` unless `acceptExisting`, in which case it must be a private directory.
    public static func makeDirectory(_ path: String, mode: UInt32 = 0o700, acceptExisting: Bool) throws(FileError) {
        if mkdir(path, mode_t(mode)) == 0 {
            _ = chmod(path, mode_t(mode))
            return
        }
        let code = errno
        guard code == EEXIST else { throw FileError(.ioFailed, "cannot create directory", path, errno: code) }
        guard acceptExisting else { throw FileError(.exists, "already exists", path) }
        try checkPrivate(path, kind: .directory)
    }

    /// Whether anything (even a dangling symbolic link) is at `path`.
    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// Deletes `path` durably (the directory is synced); a missing file is not an error.
    public static func remove(_ path: String) {
        _ = unlink(path)
        syncDirectory(split(path).directory)
    }

    private static func inspect(_ path: String, kind: Kind, requirePrivate: Bool) throws(FileError) -> stat {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT { throw FileError(.missing, "does not exist", path) }
            throw FileError(.ioFailed, "cannot inspect", path, errno: code)
        }
        let expected = kind == .directory ? S_IFDIR : S_IFREG
        guard status.st_mode & S_IFMT == expected else {
            throw FileError(.wrongKind, kind == .directory ? "is not a directory" : "is not a regular file", path)
        }
        if requirePrivate, status.st_mode & 0o077 != 0 {
            let mode = status.st_mode & 0o777
            throw FileError(
                .permissionsTooOpen,
                "is accessible by group or others (mode \(String(mode, radix: 8))); run chmod "
                    + (kind == .directory ? "700" : "600") + " on it",
                path, mode: UInt32(mode))
        }
        return status
    }

    private static func split(_ path: String) -> (directory: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let directory = String(path[..<slash])
        return (directory.isEmpty ? "/" : directory, String(path[path.index(after: slash)...]))
    }

    /// Makes a completed rename or unlink durable; failure only weakens durability, so it is
    /// not reported.
    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = close(descriptor)
    }
}
