internal import FogSystem

/// The plugin's storage files: `PositionalFile` with failures as `StorageError`s naming the
/// path, the call and errno.
///
/// Not a class with a deinit on purpose: the journal decides exactly when its descriptor
/// closes (after a compaction's rename, the old one must stay locked until the new one is).
struct PosixFile {
    let file: PositionalFile

    var path: String { file.path }

    /// Opens for reading and writing (or only reading when `readOnly`), creating the file
    /// with `mode` (0600 unless given) when `create`, failing if it exists when `exclusive`.
    static func open(
        _ path: String, create: Bool, truncate: Bool = false, exclusive: Bool = false, readOnly: Bool = false,
        mode: UInt32 = 0o600
    ) throws(StorageError) -> PosixFile {
        PosixFile(file: try storage { () throws(FileError) in
            try PositionalFile.open(
                path, create: create, truncate: truncate, exclusive: exclusive, readOnly: readOnly, mode: mode)
        })
    }

    /// True when `path` names an existing file.
    static func exists(_ path: String) -> Bool {
        PositionalFile.exists(path)
    }

    /// Takes an exclusive advisory lock, waiting at most about a second for it (see
    /// `PositionalFile.lockExclusively`), so a second broker on one store fails at start-up.
    func lockExclusively() throws(StorageError) {
        try storage { () throws(FileError) in try file.lockExclusively(holder: "a second broker using this grant store") }
    }

    func size() throws(StorageError) -> UInt64 { try storage { () throws(FileError) in try file.size() } }

    /// Permission bits (e.g. 0o600).
    func permissions() throws(StorageError) -> UInt32 { try storage { () throws(FileError) in try file.permissions() } }

    /// Reads the whole file from offset 0.
    func readAll() throws(StorageError) -> [UInt8] { try storage { () throws(FileError) in try file.readAll() } }

    /// Writes all of `bytes` at `offset`.
    func write(_ bytes: [UInt8], at offset: UInt64) throws(StorageError) {
        try storage { () throws(FileError) in try file.write(bytes, at: offset) }
    }

    /// Flushes data (and the size, which reading it back needs) to stable storage.
    func syncData() throws(StorageError) { try storage { () throws(FileError) in try file.syncData() } }

    func truncate(to length: UInt64) throws(StorageError) {
        try storage { () throws(FileError) in try file.truncate(to: length) }
    }

    func close() {
        file.close()
    }

    /// Atomically replaces `destination` with `source`.
    static func rename(_ source: String, to destination: String) throws(StorageError) {
        try storage { () throws(FileError) in try PositionalFile.rename(source, to: destination) }
    }

    static func remove(_ path: String) {
        try? PositionalFile.remove(path)
    }

    /// Makes a directory entry change (create, rename) durable.
    static func syncDirectory(containing path: String) throws(StorageError) {
        try storage { () throws(FileError) in try PositionalFile.syncDirectory(PositionalFile.directoryName(of: path)) }
    }
}

/// Runs a `FileError`-throwing operation for the plugin's storage.
func storage<T>(_ body: () throws(FileError) -> T) throws(StorageError) -> T {
    do {
        return try body()
    } catch {
        throw StorageError(code: error.code == .locked ? .locked : .io, path: error.path, message: error.detail)
    }
}
