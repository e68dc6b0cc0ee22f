internal import FogCore

/// Everything the plugin keeps between callbacks: configuration, grants, the control
/// channel's verifier and signer, and counters.
///
/// - Important: Created by `mosquitto_plugin_init`, retained in the broker's `*user_data`
///   and released by `mosquitto_plugin_cleanup`. Mosquitto calls every callback on its
///   single main-loop thread, so the state is confined to that thread and mutated without
///   locks (as the dynamic-security plugin's static state is).
final class PluginState {
    let configuration: PluginConfiguration
    let store: GrantStore
    /// This ComSat's public key, which the controller pins to verify responses.
    let identity: SigningPublicKey
    var verifier: EnvelopeVerifier
    let sealer: EnvelopeSealer
    /// Timestamp of the newest grant-changing command accepted before this start: anything
    /// not newer is a replay the in-memory replay window can no longer recognise.
    let restartWatermark: UInt64
    let controllerUsername: [UInt8]
    let controllerClientID: [UInt8]
    let controllerClientIDCString: [CChar]
    /// Bumped by the auth and ACL callbacks; broker-thread only, so no exclusivity check.
    @exclusivity(unchecked) var counters = Counters()
    /// Who is connected now, so removals kick only live connections.
    var connected = ConnectedClients()
    /// Set once the grant store fails to write; changes are refused from then on.
    var storageFailure: StorageError?

    /// Counters reported by the `stats` command.
    struct Counters {
        var authAccepted: UInt64 = 0
        var authRefused: UInt64 = 0
        var aclDenied: UInt64 = 0
        var controlAccepted: UInt64 = 0
        var controlRefused: UInt64 = 0
        var kicks: UInt64 = 0
    }

    /// Loads (or creates) the identity key and the grant store. `notes` are log lines
    /// about what start-up found or repaired.
    init(configuration: PluginConfiguration, notes: inout [String]) throws(StorageError) {
        self.configuration = configuration
        controllerUsername = Array(configuration.controllerUsername.utf8)
        controllerClientID = Array(configuration.controllerClientID.utf8)
        controllerClientIDCString = configuration.controllerClientID.utf8CString.map { $0 }

        let (key, created) = try IdentityKeyFile.loadOrCreate(path: configuration.identityKeyPath)
        identity = key.publicKey
        sealer = EnvelopeSealer(senderID: configuration.comsatID, signingKey: key)
        notes.append(
            "\(created ? "created" : "loaded") identity key \(configuration.identityKeyPath); ComSat \(configuration.comsatID) "
                + "public key \(key.publicKey) (also in \(IdentityKeyFile.publicKeyPath(for: configuration.identityKeyPath)))")

        var generator = SystemRandomNumberGenerator()
        let (store, storeNotes) = try GrantStore.open(
            path: configuration.grantStorePath,
            reserved: GrantStore.Reserved(username: controllerUsername, clientID: controllerClientID),
            capacity: configuration.maximumGrants, hashSeed: generator.next())
        self.store = store
        notes += storeNotes
        restartWatermark = store.journal.watermark
        verifier = EnvelopeVerifier(
            trustedSenders: [configuration.controllerID: configuration.controllerPublicKey],
            localID: configuration.comsatID, agreementKey: nil,
            maximumSize: configuration.maximumControlSize, clockSkew: configuration.clockSkew,
            replayCapacity: configuration.replayCapacity, requiresRecipient: true,
            acceptedKinds: [.comsatCommand])
        notes.append(
            "grant store \(configuration.grantStorePath): \(store.count) grants, \(store.linkCount) links "
                + "(\(store.optedInLinkCount) opted in), \(store.pendingSweepCount) sessions awaiting a sweep")
    }

    /// Commits what the auth path staged (opt-ins, completed sweeps). Runs on every broker
    /// loop pass, so the common case is one property read.
    func tick() {
        guard store.journal.hasStagedChanges, storageFailure == nil else { return }
        do {
            if let warning = try store.commit() {
                PluginLog.warning("grant store compaction failed, continuing uncompacted: \(warning)")
            }
        } catch {
            storageFailure = error
            PluginLog.error("grant store write failed, refusing grant changes until restart: \(error)")
        }
    }

    /// Closes the grant store, committing anything staged first.
    func close() {
        tick()
        store.journal.close()
    }

    func stats() -> ComSatStats {
        var stats = ComSatStats()
        stats.grants = UInt64(store.count)
        stats.links = UInt64(store.linkCount)
        stats.optedInLinks = UInt64(store.optedInLinkCount)
        stats.authAccepted = counters.authAccepted
        stats.authRefused = counters.authRefused
        stats.aclDenied = counters.aclDenied
        stats.controlAccepted = counters.controlAccepted
        stats.controlRefused = counters.controlRefused
        stats.pendingSweeps = UInt64(store.pendingSweepCount)
        stats.sweepsCompleted = store.sweepsCompleted
        stats.kicks = counters.kicks
        stats.journalBytes = store.journal.fileSize
        stats.journalCompactions = store.journal.compactions
        return stats
    }

    /// True when `username` is the controller's.
    @inline(__always)
    func isControllerUsername(_ username: UnsafeRawBufferPointer) -> Bool {
        GrantRecord.equal(controllerUsername, username)
    }

    /// True for the controller's own connection (username and client id both match).
    @inline(__always)
    func isController(username: UnsafeRawBufferPointer, clientID: UnsafeRawBufferPointer) -> Bool {
        isControllerUsername(username) && GrantRecord.equal(controllerClientID, clientID)
    }
}
