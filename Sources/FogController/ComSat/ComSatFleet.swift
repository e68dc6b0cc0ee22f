public import FogCore
internal import Foundation
public import Logging

/// The controller's sessions to all its ComSats, kept in sync with the store.
///
/// `connectAll` opens a session to every enrolled ComSat whose key is pinned and not yet
/// connected, synchronises its grants and records its health; one unreachable ComSat does
/// not stop the others. Each session resynchronises itself after a reconnection. A ComSat
/// whose first connection failed is retried by the next `connectAll` (the MQTT client only
/// retries connections it once had), so the caller runs it periodically.
public actor ComSatFleet {
    private let home: ControllerHome
    private let store: any ControllerStore
    private let configuration: ComSatSessionConfiguration
    private let sync: GrantSync
    private let logger: Logger
    private var sessions: [OpaqueID: ComSatSession] = [:]
    private var sessionConnected: (@Sendable (ComSatSession) async throws(ControllerError) -> Void)?

    public init(
        home: ControllerHome, store: any ControllerStore, configuration: ComSatSessionConfiguration = .init(),
        batchSize: Int = 5_000, logger: Logger
    ) {
        self.home = home
        self.store = store
        self.configuration = configuration
        sync = GrantSync(store: store, batchSize: batchSize, logger: logger)
        self.logger = logger
    }

    /// Connects to and synchronises every ComSat without a session.
    /// - Returns: the failure of each ComSat that could not be connected or synchronised.
    @discardableResult
    public func connectAll() async throws(ControllerError) -> [OpaqueID: ControllerError] {
        var failures: [OpaqueID: ControllerError] = [:]
        for comsat in try await store.comsats() where sessions[comsat.id] == nil {
            do {
                try await connect(comsat)
            } catch {
                failures[comsat.id] = error
                logger.warning(
                    "ComSat not connected", metadata: ["fog.comsat.id": "\(comsat.id)", "fog.error": "\(error)"])
                if error.code == .comsatUnreachable || error.code == .responseTimeout {
                    try? await store.setHealth(.unreachable, comsatID: comsat.id, at: Date())
                }
            }
        }
        return failures
    }

    private func connect(_ comsat: ComSatRecord) async throws(ControllerError) {
        let sync = sync
        let store = store
        let logger = logger
        let session = try ComSatSession(
            comsat: comsat, home: home, configuration: configuration, logger: logger,
            onReconnect: { session in
                do {
                    try await sync.synchronize(session)
                    try await store.setHealth(.healthy, comsatID: session.comsatID, at: Date())
                } catch {
                    logger.warning(
                        "resynchronisation after a reconnection failed",
                        metadata: ["fog.comsat.id": "\(session.comsatID)", "fog.error": "\(error)"])
                }
            })
        do {
            try await session.connect()
            try await sync.synchronize(session)
            try await sessionConnected?(session)
        } catch {
            await session.close()
            throw error
        }
        sessions[comsat.id] = session
        try await store.setHealth(.healthy, comsatID: comsat.id, at: Date())
    }

    /// Sets what runs for each session once it is connected and synchronised, before the
    /// fleet lists it (so also for ComSats connected later). Its failure closes the session,
    /// and the next `connectAll` tries again — a session is never live half set up.
    public func setSessionConnectedHandler(
        _ handler: (@Sendable (ComSatSession) async throws(ControllerError) -> Void)?
    ) {
        sessionConnected = handler
    }

    /// The live session to `comsatID`, if connected.
    public func session(for comsatID: OpaqueID) -> ComSatSession? {
        sessions[comsatID]
    }

    /// Installs grants on one ComSat.
    /// - Throws: `.comsatUnreachable` when there is no session to it, else as `GrantSync.install`.
    public func install(_ grants: [Grant], on comsatID: OpaqueID) async throws(ControllerError) {
        try await sync.install(grants, on: try connectedSession(comsatID))
    }

    /// Revokes principals on whichever ComSats hold them. Every ComSat is attempted; the
    /// first failure is thrown afterwards. A ComSat that cannot be reached now drops the
    /// grants at its next synchronisation, since the store no longer lists them.
    public func revoke(_ principals: [RevokedPrincipal]) async throws(ControllerError) {
        var firstFailure: ControllerError?
        for comsatID in Set(principals.map(\.comsatID)).sorted() {
            do {
                try await sync.revoke(principals, on: try connectedSession(comsatID))
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure { throw firstFailure }
    }

    /// Closes every session.
    public func shutdown() async {
        for session in sessions.values {
            await session.close()
        }
        sessions.removeAll()
    }

    private func connectedSession(_ comsatID: OpaqueID) throws(ControllerError) -> ComSatSession {
        guard let session = sessions[comsatID] else {
            throw ControllerError(.comsatUnreachable, "no session to ComSat \(comsatID)")
        }
        return session
    }
}
