import FogCore
import FogMQTT
import FogTestSupport
import Foundation
import Logging
import Testing

/// A real Mosquitto from `broker-config/comsat.conf` with the built `libcomsat.so`, a
/// controller identity, and helpers to act as the controller and as principals.
///
/// Owned by one test task. The plugin's files live in their own temporary directory so
/// that restarts (same configuration) find them, and are removed with it.
final class ComSatTestBroker {
    let broker: MosquittoBroker
    let controller: ComSatControllerIdentity
    let comsatID: OpaqueID
    let pluginDirectory: String
    let tlsFiles: TLSFiles?
    private var controllerClient: MQTTClient?
    private var responses: Inbox<MQTTMessage>?
    private var codec: ComSatControlCodec?
    private var nextCorrelationID: UInt64 = 1

    var grantStorePath: String { pluginDirectory + "/grants.journal" }
    var identityKeyPath: String { pluginDirectory + "/identity.key" }
    var persistencePath: String { broker.dataDirectory + "mosquitto.db" }

    static let logger = Logger(label: "fogfabric.test.comsat") { _ in SwiftLogNoOpLogHandler() }

    /// The broker configuration for a ComSat: the production template plus the test
    /// harness's lines, persistence on, anonymous off, the plugin and its options.
    static func configuration(
        controller: ComSatControllerIdentity, comsatID: OpaqueID, pluginDirectory: String, tls: TLSFiles? = nil,
        options: [(String, String)] = [], replacing: [String: String] = [:]
    ) -> BrokerConfiguration {
        var pluginOptions = controller.pluginOptions(
            comsatID: comsatID, grantStore: pluginDirectory + "/grants.journal",
            identityKeyFile: pluginDirectory + "/identity.key")
        pluginOptions = pluginOptions.compactMap { option in
            guard let replacement = replacing[option.0] else { return option }
            return replacement.isEmpty ? nil : (option.0, replacement)
        }
        return .comsat(pluginOptions: pluginOptions + options, tls: tls)
    }

    private init(
        broker: MosquittoBroker, controller: ComSatControllerIdentity, comsatID: OpaqueID, pluginDirectory: String,
        tlsFiles: TLSFiles?
    ) {
        self.broker = broker
        self.controller = controller
        self.comsatID = comsatID
        self.pluginDirectory = pluginDirectory
        self.tlsFiles = tlsFiles
    }

    /// Runs `body` against a started ComSat with a connected controller, then disconnects,
    /// stops the broker and deletes every file, whether `body` returned or threw.
    static func run<T>(
        tls: Bool = false, options: [(String, String)] = [],
        _ body: (ComSatTestBroker) async throws -> T
    ) async throws -> T {
        let files = try TemporaryDirectory(prefix: "comsat-plugin")
        defer { files.remove() }
        let tlsFiles = tls ? try TestCertificateAuthority().writeServerFiles(to: files.path) : nil
        let controller = ComSatControllerIdentity(username: "controller", clientID: "controller-main")
        let comsatID = OpaqueID()
        let configuration = configuration(
            controller: controller, comsatID: comsatID, pluginDirectory: files.path, tls: tlsFiles, options: options)
        return try await withMosquitto(configuration) { broker in
            let comsat = ComSatTestBroker(
                broker: broker, controller: controller, comsatID: comsatID, pluginDirectory: files.path,
                tlsFiles: tlsFiles)
            do {
                try await comsat.connectController()
                let result = try await body(comsat)
                await comsat.disconnectController()
                return result
            } catch {
                await comsat.disconnectController()
                throw error
            }
        }
    }

    // MARK: Acting as the controller

    /// The ComSat's identity public key, as the operator would copy it to the controller.
    func comsatPublicKey() throws -> SigningPublicKey {
        let text = try String(contentsOfFile: identityKeyPath + ".pub", encoding: .utf8)
        return try SigningPublicKey(text: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func connectController() async throws {
        let client = MQTTClient(
            configuration: clientConfiguration(
                clientID: controller.clientID, username: controller.username, password: controller.secret.text),
            logger: Self.logger)
        responses = Inbox.draining(client.messages)
        try await client.connect()
        controllerClient = client
        codec = controller.controlCodec(comsatID: comsatID, comsatKey: try comsatPublicKey())
    }

    func disconnectController() async {
        await controllerClient?.disconnect()
        controllerClient = nil
    }

    /// Sends a command and returns the verified response.
    func send(_ command: ComSatCommand) async throws -> ComSatResponse {
        let correlationID = nextCorrelationID
        nextCorrelationID += 1
        let envelope = try #require(codec).seal(ComSatRequest(correlationID: correlationID, command: command))
        return try await sendEnvelope(envelope, correlationID: correlationID)
    }

    /// Publishes raw bytes on the control topic (QoS 1) and returns the verified response
    /// with `correlationID`.
    func sendEnvelope(_ envelope: [UInt8], correlationID: UInt64) async throws -> ComSatResponse {
        let seen = try #require(responses).all.count
        try await publishControl(envelope)
        var found: ComSatResponse?
        try await waitUntil("ComSat response to correlation \(correlationID)", timeout: .seconds(10)) {
            for message in try #require(responses).all.dropFirst(seen) where message.topic == ComSatTopic.response {
                let response = try codec?.open(response: message.payload)
                if let response, response.correlationID == correlationID {
                    found = response
                    return true
                }
            }
            return false
        }
        return try #require(found)
    }

    /// Publishes raw bytes on the control topic without waiting for a response.
    func publishControl(_ payload: [UInt8], qos: MQTTQoS = .atLeastOnce) async throws {
        try await #require(controllerClient).publish(topic: ComSatTopic.control, payload: payload, qos: qos)
    }

    /// Count of response messages received so far.
    var responseCount: Int { responses?.all.filter { $0.topic == ComSatTopic.response }.count ?? 0 }

    /// A sealed command envelope, for tests that tamper with or replay it.
    func sealedCommand(_ command: ComSatCommand, correlationID: UInt64, now: Timestamp = .now()) throws -> [UInt8] {
        try #require(codec).seal(ComSatRequest(correlationID: correlationID, command: command), now: now)
    }

    func install(_ grants: [Grant]) async throws {
        let response = try await send(.addGrants(grants))
        #expect(response.status == .ok)
        #expect(response.itemResults.allSatisfy { $0.isSuccess }, "\(response.reason)")
    }

    func stats() async throws -> ComSatStats {
        guard case .stats(let stats) = try await send(.stats).body else {
            throw TestSupportError(.brokerFailed, "stats command answered without stats")
        }
        return stats
    }

    func digest() async throws -> GrantSetDigest {
        guard case .digest(let digest) = try await send(.digest).body else {
            throw TestSupportError(.brokerFailed, "digest command answered without a digest")
        }
        return digest
    }

    /// The controller's documented sweep step: connect as the controller principal with
    /// the removed grant's client id, clean start and session expiry 0, then disconnect.
    /// Mosquitto discards the old session (and its queue) when the clean-start connection
    /// takes the client id over, and the sweep connection itself leaves nothing behind.
    func sweep(clientID: String) async throws {
        let client = MQTTClient(
            configuration: clientConfiguration(
                clientID: clientID, username: controller.username, password: controller.secret.text, cleanStart: true,
                sessionExpiry: 0),
            logger: Self.logger)
        let result = try await client.connect()
        #expect(!result.sessionPresent)
        await client.disconnect()
    }

    // MARK: Acting as principals

    func clientConfiguration(
        clientID: String, username: String?, password: String?, cleanStart: Bool = true, sessionExpiry: UInt32 = 0
    ) -> MQTTConfiguration {
        MQTTConfiguration(
            host: broker.host, port: broker.port, clientID: clientID, username: username, password: password,
            tls: tlsFiles.map { MQTTTLSConfiguration(caFile: $0.caFile) }, cleanStart: cleanStart,
            sessionExpiry: sessionExpiry, connectTimeout: .seconds(5), operationTimeout: .seconds(5))
    }

    func client(for principal: TestPrincipal, cleanStart: Bool = true, sessionExpiry: UInt32 = 0) -> MQTTClient {
        MQTTClient(
            configuration: clientConfiguration(
                clientID: principal.clientID, username: principal.username, password: principal.secret.text,
                cleanStart: cleanStart, sessionExpiry: sessionExpiry),
            logger: Self.logger)
    }

    /// Connects `principal` and returns the client and a live view of its messages.
    func connect(
        _ principal: TestPrincipal, cleanStart: Bool = true, sessionExpiry: UInt32 = 0
    ) async throws -> (MQTTClient, Inbox<MQTTMessage>) {
        let client = client(for: principal, cleanStart: cleanStart, sessionExpiry: sessionExpiry)
        let inbox = Inbox.draining(client.messages)
        try await client.connect()
        return (client, inbox)
    }

    /// Expects a CONNECT with these credentials to be refused as not authorised.
    func expectRefused(
        clientID: String, username: String?, password: String?, sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        let client = MQTTClient(
            configuration: clientConfiguration(clientID: clientID, username: username, password: password),
            logger: Self.logger)
        do {
            try await client.connect()
            Issue.record("connection of '\(username ?? "<anonymous>")' as '\(clientID)' was accepted", sourceLocation: sourceLocation)
        } catch {
            #expect(error.code == .notAuthorized, "\(error)", sourceLocation: sourceLocation)
        }
        await client.disconnect()
    }

    /// Arguments for `mosquitto_pub`/`mosquitto_sub` to reach this broker.
    var cliConnectionArguments: [String] {
        var arguments = ["-h", broker.host, "-p", String(broker.port), "-V", "mqttv5"]
        if let tlsFiles {
            arguments += ["--cafile", tlsFiles.caFile]
        }
        return arguments
    }

    // MARK: Broker files

    /// Asks Mosquitto to write its persistence file now (SIGUSR1) and waits until it has:
    /// Mosquitto writes `mosquitto.db.new` and renames it over the file, so a new inode
    /// means a complete new save.
    func savePersistence() async throws {
        let pid = try #require(broker.pid)
        let before = fileNumber(persistencePath)
        kill(pid, SIGUSR1)
        try await waitUntil("mosquitto to save \(persistencePath)", timeout: .seconds(10)) {
            fileNumber(persistencePath).map { $0 != before } ?? false
        }
    }

    func fileBytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    private func fileNumber(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }
}

