#if canImport(Glibc)
internal import Glibc
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Owner-only files written atomically, for the agent's state directory.
///
/// A file is written to a unique temporary name (mode 0600 from creation, never wider),
/// synced, renamed over the target and the directory synced, so a power cut leaves either
/// the old or the new file, never a torn one, and no other user can open it in between.
enum StateFile {
    /// Creates `path` with mode 0700, or checks an existing one is a directory only the
    /// owner can access.
    static func prepareDirectory(_ path: String) throws(AgentStateError) {
        if mkdir(path, 0o700) == 0 { return }
        let code = errno
        guard code == EEXIST else {
            throw AgentStateError(
                code: .ioFailed, message: "cannot create the state directory", path: path, systemError: code)
        }
        try checkPrivate(path, directory: true)
    }

    /// Refuses a file or directory that group or others may access, or of the wrong type.
    static func checkPrivate(_ path: String, directory: Bool) throws(AgentStateError) {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            throw AgentStateError(
                code: code == ENOENT ? .fileMissing : .ioFailed,
                message: code == ENOENT ? "does not exist" : "cannot inspect", path: path, systemError: code)
        }
        // File type bits of st_mode (S_IFMT): 0o040000 directory, 0o100000 regular file.
        let kind = info.st_mode & 0o170000
        guard kind == (directory ? 0o040000 : 0o100000) else {
            throw AgentStateError(
                code: .fileCorrupt, message: directory ? "is not a directory" : "is not a regular file", path: path)
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw AgentStateError(
                code: .permissionsTooOpen,
                message: "mode is \(mode); only the owner may have access (chmod \(directory ? "700" : "600"))",
                path: path)
        }
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Writes `bytes` to `directory/name` atomically with mode 0600.
    static func write(_ bytes: [UInt8], to directory: String, name: String) throws(AgentStateError) {
        let path = directory + "/" + name
        let temporary = directory + "/." + name + ".tmp-\(UInt64.random(in: 0...UInt64.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw AgentStateError(code: .ioFailed, message: "cannot create", path: temporary, systemError: errno)
        }
        var failure: AgentStateError?
        var written = 0
        while written < bytes.count, failure == nil {
            let result = bytes[written...].withUnsafeBytes { systemWrite(descriptor, $0.baseAddress, $0.count) }
            if result > 0 {
                written += result
            } else if result < 0, errno != EINTR {
                failure = AgentStateError(code: .ioFailed, message: "cannot write", path: temporary, systemError: errno)
            }
        }
        if failure == nil, fsync(descriptor) != 0 {
            failure = AgentStateError(code: .ioFailed, message: "cannot sync", path: temporary, systemError: errno)
        }
        _ = close(descriptor)
        if failure == nil, rename(temporary, path) != 0 {
            failure = AgentStateError(code: .ioFailed, message: "cannot rename into place", path: path, systemError: errno)
        }
        if let failure {
            _ = unlink(temporary)
            throw failure
        }
        syncDirectory(directory)
    }

    /// Reads a whole owner-only file of at most `maximumSize` bytes.
    static func read(_ directory: String, name: String, maximumSize: Int = 1 << 20) throws(AgentStateError) -> [UInt8] {
        let path = directory + "/" + name
        try checkPrivate(path, directory: false)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AgentStateError(code: .ioFailed, message: "cannot open", path: path, systemError: errno)
        }
        defer { _ = close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let count = buffer.withUnsafeMutableBytes { systemRead(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw AgentStateError(code: .ioFailed, message: "cannot read", path: path, systemError: errno)
            }
            bytes += buffer[..<count]
            guard bytes.count <= maximumSize else {
                throw AgentStateError(code: .fileCorrupt, message: "is larger than \(maximumSize) bytes", path: path)
            }
        }
        return bytes
    }

    /// Makes a completed rename durable; failure only weakens durability, so it is not fatal.
    private static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = close(descriptor)
    }
}

// The enum's own `read` and `write` shadow the C functions inside it.
private func systemWrite(_ descriptor: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    write(descriptor, buffer, count)
}

private func systemRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
