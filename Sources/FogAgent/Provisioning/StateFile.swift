internal import FogSystem

/// The agent's state directory files: `PrivateFile` (owner-only, atomic) with failures as
/// `AgentStateError`s.
enum StateFile {
    /// Creates `path` with mode 0700, or checks an existing one is a directory only the
    /// owner can access.
    static func prepareDirectory(_ path: String) throws(AgentStateError) {
        do {
            try PrivateFile.makeDirectory(path, acceptExisting: true)
        } catch {
            throw AgentStateError(error, directory: true)
        }
    }

    /// Refuses a file or directory that group or others may access, or of the wrong type.
    static func checkPrivate(_ path: String, directory: Bool) throws(AgentStateError) {
        do {
            try PrivateFile.checkPrivate(path, kind: directory ? .directory : .file)
        } catch {
            throw AgentStateError(error, directory: directory)
        }
    }

    static func exists(_ path: String) -> Bool {
        PrivateFile.exists(path)
    }

    /// Writes `bytes` to `directory/name` atomically with mode 0600.
    static func write(_ bytes: [UInt8], to directory: String, name: String) throws(AgentStateError) {
        do {
            try PrivateFile.write(bytes, to: directory + "/" + name)
        } catch {
            throw AgentStateError(error, directory: false)
        }
    }

    /// Reads a whole owner-only file of at most `maximumSize` bytes.
    static func read(_ directory: String, name: String, maximumSize: Int = 1 << 20) throws(AgentStateError) -> [UInt8] {
        do {
            return try PrivateFile.read(directory + "/" + name, maximumSize: maximumSize)
        } catch {
            throw AgentStateError(error, directory: false)
        }
    }
}

extension AgentStateError {
    init(_ error: FileError, directory: Bool) {
        let code: Code =
            switch error.code {
            case .missing: .fileMissing
            case .permissionsTooOpen: .permissionsTooOpen
            case .wrongKind, .tooLarge: .fileCorrupt
            case .exists, .ioFailed, .locked: .ioFailed
            }
        self.init(code: code, message: error.detail, path: error.path, systemError: error.systemError)
    }
}
