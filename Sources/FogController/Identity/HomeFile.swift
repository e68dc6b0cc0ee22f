internal import Foundation

/// Small POSIX file operations for the controller's home: atomic private writes and
/// checked reads. Every failure becomes a `ControllerError` naming the path.
enum HomeFile {
    /// Writes `bytes` to `path` atomically with `mode`: a new temp file (O_EXCL), fsync,
    /// rename over the target, fsync of the directory. A crash leaves the old file or the
    /// new one, never a torn key.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o600) throws(ControllerError) {
        let temporary = path + ".new"
        unlink(temporary)
        let descriptor = Foundation.open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard descriptor >= 0 else { throw failure(.fileWriteFailed, "cannot create", temporary) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { raw in
                Foundation.write(descriptor, raw.baseAddress.map { $0 + written }, raw.count - written)
            }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else {
                let error = failure(.fileWriteFailed, "cannot write", temporary)
                close(descriptor)
                unlink(temporary)
                throw error
            }
            written += result
        }
        // The umask may have narrowed `mode`; it can only widen it by mistake, never here.
        guard fchmod(descriptor, mode) == 0, fsync(descriptor) == 0 else {
            let error = failure(.fileWriteFailed, "cannot sync", temporary)
            close(descriptor)
            unlink(temporary)
            throw error
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let error = failure(.fileWriteFailed, "cannot rename into place", path)
            unlink(temporary)
            throw error
        }
        syncDirectory(containing: path)
    }

    /// Reads a whole small file. `secret` files must not be accessible by group or others.
    static func read(_ path: String, secret: Bool, what: String, maximumSize: Int = 64 * 1024) throws(ControllerError) -> [UInt8] {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT {
                throw ControllerError(.fileMissing, "\(what) is missing", path: path)
            }
            throw failure(.fileUnreadable, "cannot inspect \(what)", path)
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ControllerError(.fileUnreadable, "\(what) is not a regular file", path: path)
        }
        if secret, status.st_mode & 0o077 != 0 {
            throw ControllerError(
                .permissionsTooOpen,
                "\(what) is accessible by group or others (mode \(String(status.st_mode & 0o777, radix: 8))); run chmod 600 on it",
                path: path)
        }
        guard Int(status.st_size) <= maximumSize else {
            throw ControllerError(.fileCorrupt, "\(what) is \(status.st_size) bytes, more than \(maximumSize)", path: path)
        }
        let descriptor = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(.fileUnreadable, "cannot open \(what)", path) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure(.fileUnreadable, "cannot read \(what)", path) }
            if count == 0 { break }
            bytes += buffer[..<count]
            guard bytes.count <= maximumSize else {
                throw ControllerError(.fileCorrupt, "\(what) grew beyond \(maximumSize) bytes while read", path: path)
            }
        }
        return bytes
    }

    /// Reads a one-line text file, without its trailing newline.
    static func readLine(_ path: String, secret: Bool, what: String) throws(ControllerError) -> String {
        var bytes = try read(path, secret: secret, what: what)
        if bytes.last == 0x0A { bytes.removeLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ControllerError(.fileCorrupt, "\(what) is not UTF-8 text", path: path)
        }
        return text
    }

    /// Creates a directory with `mode`; `.homeExists` if anything is already at `path`.
    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws(ControllerError) {
        guard mkdir(path, mode) == 0 else {
            if errno == EEXIST {
                throw ControllerError(
                    .homeExists, "\(path) already exists; refusing to overwrite a controller home (use open, or choose a new path)",
                    path: path)
            }
            throw failure(.fileWriteFailed, "cannot create directory", path)
        }
        chmod(path, mode)
    }

    /// Checks that `path` is a directory nobody but the owner can enter.
    static func checkPrivateDirectory(_ path: String, what: String) throws(ControllerError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == ENOENT {
                throw ControllerError(.homeMissing, "\(what) does not exist; run `fog-controller init` first", path: path)
            }
            throw failure(.fileUnreadable, "cannot inspect \(what)", path)
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw ControllerError(.fileUnreadable, "\(what) is not a directory", path: path)
        }
        guard status.st_mode & 0o077 == 0 else {
            throw ControllerError(
                .permissionsTooOpen,
                "\(what) is accessible by group or others (mode \(String(status.st_mode & 0o777, radix: 8))); run chmod 700 on it",
                path: path)
        }
    }

    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    static func remove(_ path: String) {
        unlink(path)
        syncDirectory(containing: path)
    }

    private static func syncDirectory(containing path: String) {
        let directory = (path as NSString).deletingLastPathComponent
        let descriptor = Foundation.open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static func failure(_ code: ControllerError.Code, _ what: String, _ path: String) -> ControllerError {
        ControllerError(code, "\(what) \(path): \(String(cString: strerror(errno)))", path: path)
    }
}
