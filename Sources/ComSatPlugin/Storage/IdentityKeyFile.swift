internal import FogSystem
internal import FogCore

/// The ComSat's own Ed25519 key, which signs its control responses.
///
/// Created at first start (raw 32-byte seed, mode 0600, written to a temp file, synced and
/// renamed into place) and loaded afterwards. Its public half is written beside it as
/// `<path>.pub` (base64url text) and logged at every start, so the operator can give it to
/// the controller to pin. A key file readable by group or others is refused, as ssh does.
enum IdentityKeyFile {
    static func publicKeyPath(for path: String) -> String {
        path + ".pub"
    }

    /// Loads the key at `path`, creating it when missing. `created` says which happened.
    static func loadOrCreate(path: String) throws(StorageError) -> (key: SigningKey, created: Bool) {
        let key: SigningKey
        let created: Bool
        if PosixFile.exists(path) {
            key = try load(path: path)
            created = false
        } else {
            key = SigningKey()
            try create(path: path, key: key)
            created = true
        }
        try writePublicKey(key.publicKey, path: publicKeyPath(for: path))
        return (key, created)
    }

    private static func load(path: String) throws(StorageError) -> SigningKey {
        let file = try PosixFile.open(path, create: false, readOnly: true)
        defer { file.close() }
        let permissions = try file.permissions()
        guard permissions & 0o077 == 0 else {
            throw StorageError(
                code: .invalidContent, path: path,
                message: "identity key is accessible by group or others (mode \(String(permissions, radix: 8))); "
                    + "run chmod 600 on it")
        }
        let bytes = try file.readAll()
        do {
            return try SigningKey(rawRepresentation: bytes)
        } catch {
            throw StorageError(
                code: .invalidContent, path: path,
                message: "not an identity key: expected a raw \(SigningKey.byteCount)-byte Ed25519 seed, found \(bytes.count) bytes")
        }
    }

    private static func create(path: String, key: SigningKey) throws(StorageError) {
        try storage { () throws(FileError) in try PrivateFile.write(key.rawRepresentation, to: path) }
    }

    /// Writes the public key text unless the file already says exactly that.
    private static func writePublicKey(_ key: SigningPublicKey, path: String) throws(StorageError) {
        let text = Array((key.description + "\n").utf8)
        if PosixFile.exists(path) {
            let existing = try PosixFile.open(path, create: false, readOnly: true)
            defer { existing.close() }
            if try existing.readAll() == text { return }
        }
        // World-readable on purpose: it is the public half, for the operator to copy.
        try storage { () throws(FileError) in try PrivateFile.write(text, to: path, mode: 0o644) }
    }
}
