internal import FogSystem

/// The controller home's files: `PrivateFile` (owner-only, atomic) with failures as
/// `ControllerError`s that say which file (`what`) and what to do.
enum HomeFile {
    /// Writes `bytes` to `path` atomically with `mode`; a crash leaves the old file or the
    /// new one, never a torn key.
    static func writeAtomically(_ bytes: [UInt8], to path: String, mode: UInt32 = 0o600) throws(ControllerError) {
        do {
            try PrivateFile.write(bytes, to: path, mode: mode)
        } catch {
            throw ControllerError(.fileWriteFailed, "\(error.path): \(error.detail)", path: error.path)
        }
    }

    /// Reads a whole small file. `secret` files must not be accessible by group or others.
    static func read(_ path: String, secret: Bool, what: String, maximumSize: Int = 64 * 1024) throws(ControllerError) -> [UInt8] {
        do {
            return try PrivateFile.read(path, requirePrivate: secret, maximumSize: maximumSize)
        } catch {
            let code: ControllerError.Code =
                switch error.code {
                case .missing: .fileMissing
                case .permissionsTooOpen: .permissionsTooOpen
                case .tooLarge: .fileCorrupt
                case .wrongKind, .exists, .ioFailed, .locked: .fileUnreadable
                }
            throw ControllerError(code, "\(what) \(error.detail)", path: path)
        }
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
    static func makeDirectory(_ path: String, mode: UInt32 = 0o700) throws(ControllerError) {
        do {
            try PrivateFile.makeDirectory(path, mode: mode, acceptExisting: false)
        } catch {
            if error.code == .exists {
                throw ControllerError(
                    .homeExists, "\(path) already exists; refusing to overwrite a controller home (use open, or choose a new path)",
                    path: path)
            }
            throw ControllerError(.fileWriteFailed, "cannot create directory \(path): \(error.detail)", path: path)
        }
    }

    /// Checks that `path` is a directory nobody but the owner can enter.
    static func checkPrivateDirectory(_ path: String, what: String) throws(ControllerError) {
        do {
            try PrivateFile.checkPrivate(path, kind: .directory)
        } catch {
            switch error.code {
            case .missing:
                throw ControllerError(.homeMissing, "\(what) does not exist; run `fog-controller init` first", path: path)
            case .permissionsTooOpen:
                throw ControllerError(.permissionsTooOpen, "\(what) \(error.detail)", path: path)
            default:
                throw ControllerError(.fileUnreadable, "\(what) \(error.detail)", path: path)
            }
        }
    }

    static func exists(_ path: String) -> Bool {
        PrivateFile.exists(path)
    }

    static func remove(_ path: String) {
        PrivateFile.remove(path)
    }
}
