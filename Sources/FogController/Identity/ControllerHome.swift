public import FogCore

/// The controller's state directory: its identity, admin token hash, database and its own
/// MQTT credentials for each ComSat.
///
/// Layout (directory 0700, every file 0600, written atomically):
///
/// | file | content |
/// |---|---|
/// | `controller.id` | the controller's `OpaqueID` (envelope sender id), text |
/// | `signing.key` | Ed25519 private key, raw 32 bytes |
/// | `agreement.key` | X25519 private key, raw 32 bytes |
/// | `admin.token` | the admin API bearer token, text, for the operator and `fogctl` |
/// | `admin.token.sha256` | SHA-256 of the token text, hex: what the controller verifies with |
/// | `comsat/<comsat id>.secret` | the controller's own MQTT password on that ComSat |
/// | `controller.sqlite` (+ `-wal`, `-shm`) | the database: hashes and public keys only |
///
/// The controller never reads `admin.token`: it checks presented tokens against the hash,
/// so an operator may move the token file elsewhere (a password manager) and the
/// controller keeps working. The per-ComSat MQTT secrets are the one kind of usable
/// credential the controller keeps, because it is the party that uses them (to reconnect
/// after a restart); each ComSat only ever receives their hash.
public struct ControllerHome: Sendable {
    public let path: String
    public let controllerID: OpaqueID
    public let signingKey: SigningKey
    public let agreementKey: AgreementKey
    /// Hash of the admin token; the token itself is not kept in memory.
    public let adminTokenHash: SecretHash

    public var databasePath: String { path + "/controller.sqlite" }
    public var adminTokenPath: String { path + "/admin.token" }
    var comsatCredentialDirectory: String { path + "/comsat" }

    static func idPath(_ home: String) -> String { home + "/controller.id" }
    static func signingKeyPath(_ home: String) -> String { home + "/signing.key" }
    static func agreementKeyPath(_ home: String) -> String { home + "/agreement.key" }
    static func adminTokenHashPath(_ home: String) -> String { home + "/admin.token.sha256" }

    /// Creates a new home at `path`: directory, fresh keys, id and admin token. Returns the
    /// token so the caller can show it once; it is also in `adminTokenPath` (0600).
    ///
    /// - Throws: `.homeExists` if anything exists at `path` (a home is never overwritten:
    ///   that would orphan every ComSat and agent that pinned the old keys).
    public static func initialize(at path: String) throws(ControllerError) -> (home: ControllerHome, adminToken: Secret) {
        let path = normalized(path)
        try HomeFile.makeDirectory(path)
        try HomeFile.makeDirectory(path + "/comsat")
        let controllerID = OpaqueID()
        let signingKey = SigningKey()
        let agreementKey = AgreementKey()
        let token = Secret()
        try HomeFile.writeAtomically(signingKey.rawRepresentation, to: signingKeyPath(path))
        try HomeFile.writeAtomically(agreementKey.rawRepresentation, to: agreementKeyPath(path))
        try HomeFile.writeAtomically(Array((token.text + "\n").utf8), to: path + "/admin.token")
        try HomeFile.writeAtomically(Array((token.hash.description + "\n").utf8), to: adminTokenHashPath(path))
        // Written last: its presence marks a complete home.
        try HomeFile.writeAtomically(Array((controllerID.description + "\n").utf8), to: idPath(path))
        let home = ControllerHome(
            path: path, controllerID: controllerID, signingKey: signingKey, agreementKey: agreementKey,
            adminTokenHash: token.hash)
        return (home, token)
    }

    /// Opens an existing home, checking permissions and every file's content.
    ///
    /// - Throws: `.homeMissing`, `.fileMissing`, `.fileUnreadable`, `.fileCorrupt` or
    ///   `.permissionsTooOpen`, each naming the path.
    public static func open(at path: String) throws(ControllerError) -> ControllerHome {
        let path = normalized(path)
        try HomeFile.checkPrivateDirectory(path, what: "controller home")
        let idText = try HomeFile.readLine(idPath(path), secret: true, what: "controller id")
        guard let controllerID = OpaqueID(idText) else {
            throw ControllerError(.fileCorrupt, "controller id is not a 26-symbol opaque id", path: idPath(path))
        }
        let signingBytes = try HomeFile.read(signingKeyPath(path), secret: true, what: "signing key")
        let signingKey: SigningKey
        do {
            signingKey = try SigningKey(rawRepresentation: signingBytes)
        } catch {
            throw ControllerError(
                .fileCorrupt, "signing key must be a raw \(SigningKey.byteCount)-byte Ed25519 key, found \(signingBytes.count) bytes",
                path: signingKeyPath(path))
        }
        let agreementBytes = try HomeFile.read(agreementKeyPath(path), secret: true, what: "agreement key")
        let agreementKey: AgreementKey
        do {
            agreementKey = try AgreementKey(rawRepresentation: agreementBytes)
        } catch {
            throw ControllerError(
                .fileCorrupt,
                "agreement key must be a raw \(AgreementKey.byteCount)-byte X25519 key, found \(agreementBytes.count) bytes",
                path: agreementKeyPath(path))
        }
        let hashText = try HomeFile.readLine(adminTokenHashPath(path), secret: true, what: "admin token hash")
        let adminTokenHash: SecretHash
        do {
            adminTokenHash = try SecretHash(hex: hashText)
        } catch {
            throw ControllerError(.fileCorrupt, "admin token hash must be 64 lowercase hex digits", path: adminTokenHashPath(path))
        }
        try HomeFile.checkPrivateDirectory(path + "/comsat", what: "ComSat credential directory")
        return ControllerHome(
            path: path, controllerID: controllerID, signingKey: signingKey, agreementKey: agreementKey,
            adminTokenHash: adminTokenHash)
    }

    /// True when `presented` is the admin token (constant-time comparison of hashes).
    public func verifyAdminToken(_ presented: some StringProtocol) -> Bool {
        adminTokenHash.matches(SecretHash(of: String(presented).utf8))
    }

    private static func normalized(_ path: String) -> String {
        var path = path
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
