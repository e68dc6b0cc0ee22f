public import FogController
public import FogCore
public import FogMQTT
public import FogTestSupport
import Foundation
import GRDB
public import Logging
import Testing

/// A controller home and database with one ComSat enrolled through `ComSatEnrolment`, and
/// a real Mosquitto started from the enrolment's bundle with the built `libcomsat.so`.
///
/// The broker is `BrokerConfiguration.comsat`, as in the plugin's own tests; here the
/// plugin options come from the enrolment bundle instead of a hand-made identity.
public final class ComSatFixture {
    public let directory: TemporaryDirectory
    public let home: ControllerHome
    public let database: ControllerDatabase
    public let bundle: ComSatBundle
    public let broker: MosquittoBroker
    public let tls: TLSFiles?
    public private(set) var comsat: ComSatRecord
    public var pluginDirectory: String { directory.path + "/plugin" }
    public var grantStorePath: String { pluginDirectory + "/grants.journal" }
    public var identityKeyPath: String { pluginDirectory + "/identity.key" }

    public static let logger = ControllerFixtures.logger

    private init(
        directory: TemporaryDirectory, home: ControllerHome, database: ControllerDatabase, bundle: ComSatBundle,
        broker: MosquittoBroker, tls: TLSFiles?, comsat: ComSatRecord
    ) {
        self.directory = directory
        self.home = home
        self.database = database
        self.bundle = bundle
        self.broker = broker
        self.tls = tls
        self.comsat = comsat
    }

    /// Enrols, starts the broker, pins the ComSat's key and runs `body`; stops the broker
    /// and deletes every file afterwards, whether `body` returned or threw.
    public static func run(tls: Bool = false, _ body: (ComSatFixture) async throws -> Void) async throws {
        let directory = try TemporaryDirectory(prefix: "controller-comsat")
        defer { directory.remove() }
        let (home, _) = try ControllerHome.initialize(at: directory.path + "/home")
        let database = try ControllerDatabase.open(path: home.databasePath, logger: logger)
        let tlsFiles = tls ? try TestCertificateAuthority().writeServerFiles(to: directory.path) : nil
        try FileManager.default.createDirectory(atPath: directory.path + "/plugin", withIntermediateDirectories: false)
        // The real port is known only once the harness started the broker; the row's URL is
        // corrected below, as an operator would enrol with the ComSat's public address.
        let enrolment = ComSatEnrolment(
            name: "comsat-test", url: tls ? "mqtts://127.0.0.1:8883" : "mqtt://127.0.0.1:1883", caFile: tlsFiles?.caFile,
            grantStorePath: directory.path + "/plugin/grants.journal",
            identityKeyPath: directory.path + "/plugin/identity.key")
        let (record, bundle) = try await enrolment.enrol(home: home, store: database, logger: logger)
        let configuration = BrokerConfiguration.comsat(pluginOptions: bundle.pluginOptions, tls: tlsFiles)
        try await withMosquitto(configuration) { broker in
            var comsat = record
            comsat.url = "\(tls ? "mqtts" : "mqtt")://127.0.0.1:\(broker.port)"
            try await database.writer.write { [comsat] db in try comsat.update(db) }
            let keyText = try String(contentsOfFile: directory.path + "/plugin/identity.key.pub", encoding: .utf8)
            let key = try SigningPublicKey(text: keyText.trimmingCharacters(in: .whitespacesAndNewlines))
            try await database.pinResponseKey(key, comsatID: comsat.id)
            let pinned = try #require(try await database.comsat(id: comsat.id))
            let fixture = ComSatFixture(
                directory: directory, home: home, database: database, bundle: bundle, broker: broker, tls: tlsFiles,
                comsat: pinned)
            try await body(fixture)
        }
    }

    public func session(
        configuration: ComSatSessionConfiguration = ComSatSessionConfiguration(
            responseTimeout: .seconds(10),
            reconnect: MQTTReconnectPolicy(initialDelay: .milliseconds(100), maximumDelay: .milliseconds(500))),
        onReconnect: (@Sendable (ComSatSession) async -> Void)? = nil
    ) throws -> ComSatSession {
        try ComSatSession(comsat: comsat, home: home, configuration: configuration, logger: Self.logger, onReconnect: onReconnect)
    }

    /// Runs `body` with a connected session and closes it afterwards.
    @discardableResult
    public func withSession<T>(
        onReconnect: (@Sendable (ComSatSession) async -> Void)? = nil, _ body: (ComSatSession) async throws -> T
    ) async throws -> T {
        let session = try session(onReconnect: onReconnect)
        do {
            try await session.connect()
            let result = try await body(session)
            await session.close()
            return result
        } catch {
            await session.close()
            throw error
        }
    }

    /// An agent homed on this ComSat, stored, with the secret it would hold.
    public func addAgent() async throws -> (AgentRecord, Secret) {
        let (agent, secret) = ControllerFixtures.agent(home: comsat.id)
        try await database.insertAgent(agent)
        return (agent, secret)
    }

    /// A link between two agents on this ComSat whose halves both reported their hashes.
    public func addLink(between a: AgentRecord, and b: AgentRecord) async throws -> (LinkRecord, [LinkHalfRecord], [Secret]) {
        let (link, halves, secrets) = ControllerFixtures.link(comsatID: comsat.id, a: a.id, b: b.id)
        try await database.insertLink(link, halves: halves)
        var reported: [LinkHalfRecord] = []
        for (half, secret) in zip(halves, secrets) {
            reported.append(try await database.reportSecretHash(secret.hash, linkID: link.id, side: half.side))
        }
        return (link, reported, secrets)
    }

    private func clientConfiguration(
        clientID: String, username: String, password: String, cleanStart: Bool = true, sessionExpiry: UInt32 = 0
    ) -> MQTTConfiguration {
        MQTTConfiguration(
            host: broker.host, port: broker.port, clientID: clientID, username: username, password: password,
            tls: tls.map { MQTTTLSConfiguration(caFile: $0.caFile) }, cleanStart: cleanStart, sessionExpiry: sessionExpiry,
            connectTimeout: .seconds(5), operationTimeout: .seconds(5))
    }

    /// A client for these credentials, not yet connected.
    public func client(
        clientID: String, username: String, password: String, cleanStart: Bool = true, sessionExpiry: UInt32 = 0
    ) -> MQTTClient {
        MQTTClient(
            configuration: clientConfiguration(
                clientID: clientID, username: username, password: password, cleanStart: cleanStart,
                sessionExpiry: sessionExpiry),
            logger: Self.logger)
    }

    /// Mosquitto's saved session database.
    public var persistencePath: String { broker.dataDirectory + "mosquitto.db" }

    /// Makes Mosquitto save its session database now (SIGUSR1) and waits until the new file
    /// replaced the old one (Mosquitto writes a new file and renames it over the old).
    public func savePersistence() async throws {
        let pid = try #require(broker.pid)
        func inode() -> UInt64? {
            var info = stat()
            guard stat(persistencePath, &info) == 0 else { return nil }
            return UInt64(info.st_ino)
        }
        let before = inode()
        kill(pid, SIGUSR1)
        try await waitUntil("mosquitto to save \(persistencePath)", timeout: .seconds(10)) {
            inode().map { $0 != before } ?? false
        }
    }

    public func persistenceBytes() throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: persistencePath)))
    }

    /// Connects with these credentials; nil when the broker accepted, else the error code.
    public func connectionResult(clientID: String, username: String, password: String) async -> MQTTError.Code? {
        let client = MQTTClient(
            configuration: clientConfiguration(clientID: clientID, username: username, password: password),
            logger: Self.logger)
        do {
            try await client.connect()
            await client.disconnect()
            return nil
        } catch {
            await client.disconnect()
            return error.code
        }
    }

    public func stats(_ session: ComSatSession) async throws -> ComSatStats {
        guard case .stats(let stats) = try await session.send(.stats).body else {
            throw ControllerError(.responseInvalid, "stats answered without stats")
        }
        return stats
    }

    public func digest(_ session: ComSatSession) async throws -> GrantSetDigest {
        guard case .digest(let digest) = try await session.send(.digest).body else {
            throw ControllerError(.responseInvalid, "digest answered without a digest")
        }
        return digest
    }
}
