import FogCore
import FogMQTT
import FogTestSupport
import Glibc

/// The bench playing FogFabric's controller towards one ComSat: the keys, ids and
/// credentials the plugin is configured with, and the files it keeps (grant journal,
/// identity key) in a directory of their own.
///
/// The ComSat's identity key is created here rather than by the plugin, so the bench
/// knows the public key that must sign every response without reading it back.
struct ComSatController: Sendable {
    let directory: TemporaryDirectory
    let controllerID: OpaqueID
    let comsatID: OpaqueID
    let signingKey: SigningKey
    let comsatPublicKey: SigningPublicKey
    let username = "fog-bench-controller"
    let clientID = "fog-bench-controller"
    /// The controller's MQTT password (a secret's text form); the plugin holds its hash.
    let password: String
    let secretHash: SecretHash
    var grantStorePath: String { directory.path + "/grants.journal" }
    var identityKeyPath: String { directory.path + "/comsat-identity.key" }

    static func create() throws -> ComSatController {
        let directory = try TemporaryDirectory(prefix: "fog-bench-comsat")
        let comsatKey = SigningKey()
        let secret = Secret()
        let controller = ComSatController(
            directory: directory, controllerID: OpaqueID(), comsatID: OpaqueID(), signingKey: SigningKey(),
            comsatPublicKey: comsatKey.publicKey, password: secret.text, secretHash: secret.hash)
        do {
            try writePrivateFile(controller.identityKeyPath, comsatKey.rawRepresentation)
        } catch {
            directory.remove()
            throw error
        }
        return controller
    }

    /// The bare broker's template plus the plugin: the only differences from the baseline
    /// are the plugin and `allow_anonymous false`.
    func brokerConfiguration(plugin: String) -> BrokerConfiguration {
        BrokerConfiguration(
            plugin: plugin,
            pluginOptions: [
                ("controller_username", username),
                ("controller_client_id", clientID),
                ("controller_secret_hash", secretHash.description),
                ("controller_public_key", signingKey.publicKey.description),
                ("controller_id", controllerID.description),
                ("comsat_id", comsatID.description),
                ("grant_store", grantStorePath),
                ("identity_key_file", identityKeyPath),
            ],
            allowAnonymous: false
        )
    }

    func controllerOptions(port: UInt16) -> MQTTSwarmConnectionOptions {
        MQTTSwarmConnectionOptions(port: port, clientID: clientID, username: username, password: password)
    }

    /// Bytes of the grant journal on disk.
    var storageBytes: Int? {
        var status = stat()
        guard stat(grantStorePath, &status) == 0 else { return nil }
        return Int(status.st_size)
    }

    func remove() {
        directory.remove()
    }

    /// Creates `path` readable by its owner only (the plugin refuses a key others can read).
    private static func writePrivateFile(_ path: String, _ bytes: [UInt8]) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw BenchError(.systemCall, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw BenchError(.systemCall, "cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
