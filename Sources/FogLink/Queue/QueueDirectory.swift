internal import FogSystem
internal import Glibc

/// Directory operations for the queue and the receive cursor: creation with a private mode,
/// the exclusive lock that keeps a second process off a queue, listing, and the directory
/// fsync that makes a create, rename or unlink durable.
enum QueueDirectory {
    /// Creates `path` (mode 0700) when missing, syncing its parent so the entry survives a
    /// crash; refuses an existing directory that group or others can enter.
    static func prepare(_ path: String) throws(DiskQueueError) {
        if mkdir(path, 0o700) == 0 {
            try sync(parent(of: path))
            return
        }
        let code = errno
        guard code == EEXIST else { throw QueueFile.error("mkdir", path: path, errno: code) }
        var info = stat()
        guard stat(path, &info) == 0 else { throw QueueFile.error("stat", path: path) }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            throw DiskQueueError(code: .invalidContent, path: path, message: "exists and is not a directory")
        }
        let permissions = UInt32(info.st_mode) & 0o777
        guard permissions & 0o077 == 0 else {
            throw DiskQueueError(
                code: .invalidContent, path: path,
                message: "directory is accessible by group or others (mode \(String(permissions, radix: 8))); "
                    + "run chmod 700 on it")
        }
    }

    /// Opens `path` and takes an exclusive advisory lock on it, waiting at most about a
    /// second. The descriptor is the lock: closing it releases the directory.
    ///
    /// The wait exists because a lock belongs to the open file description, which a child
    /// process shares between fork and exec: a process that closes and reopens its queue
    /// while spawning can briefly find its own old lock still held.
    static func lock(_ path: String) throws(DiskQueueError) -> CInt {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw QueueFile.error("open directory", path: path) }
        do {
            try PositionalFile.lock(descriptor, path: path, holder: "a second fog-link running on this link half")
        } catch {
            _ = close(descriptor)
            throw DiskQueueError(error)
        }
        return descriptor
    }

    static func unlock(_ descriptor: CInt) {
        _ = close(descriptor)
    }

    /// Names of the entries in `path`, without "." and "..".
    static func entries(_ path: String) throws(DiskQueueError) -> [String] {
        guard let stream = opendir(path) else { throw QueueFile.error("opendir", path: path) }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Makes entry changes in `path` (create, rename, unlink) durable.
    static func sync(_ path: String) throws(DiskQueueError) {
        try mapped { () throws(FileError) in try PositionalFile.syncDirectory(path) }
    }

    static func remove(file path: String) throws(DiskQueueError) {
        try mapped { () throws(FileError) in try PositionalFile.remove(path) }
    }

    static func remove(directory path: String) throws(DiskQueueError) {
        guard rmdir(path) == 0 || errno == ENOENT else { throw QueueFile.error("rmdir", path: path) }
    }

    static func rename(_ source: String, to destination: String) throws(DiskQueueError) {
        try mapped { () throws(FileError) in try PositionalFile.rename(source, to: destination) }
    }

    static func exists(_ path: String) -> Bool {
        PositionalFile.exists(path)
    }

    static func parent(of path: String) -> String {
        PositionalFile.directoryName(of: path)
    }
}
