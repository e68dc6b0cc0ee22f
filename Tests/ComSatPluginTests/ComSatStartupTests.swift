import FogCore
import FogMQTT
import FogTestSupport
import Foundation
import Testing

@Suite struct ComSatStartupTests {
    /// Each case: option replacements (an empty value removes the option), extra options,
    /// and the text the broker log must show.
    static let invalidOptionCases: [(replacing: [String: String], extra: [(String, String)], expected: String)] = [
        (["controller_public_key": ""], [], "plugin_opt_controller_public_key: missing"),
        (["controller_public_key": "not-a-key"], [], "plugin_opt_controller_public_key: must be an Ed25519 public key"),
        (["controller_secret_hash": "ABCD"], [], "plugin_opt_controller_secret_hash: must be 64 lowercase hex digits"),
        (["comsat_id": "Baaaaaaaaaaaaaaaaaaaaaaaaa"], [], "plugin_opt_comsat_id:"),
        (["grant_store": "relative/grants.journal"], [], "plugin_opt_grant_store: must be an absolute file path"),
        (["controller_username": "has space"], [], "plugin_opt_controller_username: must be 1...128 bytes"),
        ([:], [("grant_stor", "/tmp/x")], "plugin_opt_grant_stor: unknown option"),
        ([:], [("max_control_size", "12")], "plugin_opt_max_control_size: must be an integer in 1024"),
        ([:], [("clock_skew", "120"), ("clock_skew", "60")], "plugin_opt_clock_skew: given more than once"),
    ]

    @Test(arguments: invalidOptionCases.indices)
    func invalidOptionsMakeTheBrokerRefuseToStart(_ index: Int) async throws {
        let testCase = Self.invalidOptionCases[index]
        let files = try TemporaryDirectory(prefix: "comsat-options")
        defer { files.remove() }
        let broker = try MosquittoBroker(
            ComSatTestBroker.configuration(
                controller: ComSatControllerIdentity(), comsatID: OpaqueID(), pluginDirectory: files.path,
                options: testCase.extra, replacing: testCase.replacing))
        defer { broker.removeFiles() }
        do {
            try await broker.start()
            await broker.stop()
            Issue.record("the broker started with \(testCase.replacing) \(testCase.extra)")
        } catch {
            let log = broker.logText()
            #expect(log.contains("comsat: invalid configuration, refusing to start: " + testCase.expected), "\(log)")
            #expect(log.contains("Error: Plugin returned"))
            #expect(!broker.isRunning)
        }
    }

    @Test func aCorruptGrantStoreRefusesToStartAndATornTailIsRepaired() async throws {
        try await ComSatTestBroker.run { comsat in
            let link = TestLink()
            let later = TestLink()
            try await comsat.install(link.grants)
            try await comsat.install(later.grants)
            await comsat.disconnectController()
            await comsat.broker.stop()
            let intact = try comsat.fileBytes(comsat.grantStorePath)

            // A torn write after the last batch: dropped with a log line, grants intact.
            try Data(intact + [0, 0, 0, 90, 1, 7, 7, 7]).write(to: URL(fileURLWithPath: comsat.grantStorePath))
            try await comsat.broker.start()
            #expect(comsat.broker.logText().contains("dropped 8 bytes after offset \(intact.count)"))
            try await comsat.connectController()
            #expect(try await comsat.digest() == (try GrantSetDigest(link.grants + later.grants)))
            await comsat.disconnectController()
            await comsat.broker.stop()

            // Damage in the first batch, with later batches intact: refuse to start.
            var damaged = try comsat.fileBytes(comsat.grantStorePath)
            let username = Array(link.a.username.utf8)
            let position = try #require(
                (0...(damaged.count - username.count)).first { damaged[$0..<($0 + username.count)].elementsEqual(username) })
            damaged[position] ^= 0x01
            try Data(damaged).write(to: URL(fileURLWithPath: comsat.grantStorePath))
            await #expect(throws: TestSupportError.self) { try await comsat.broker.start() }
            let log = comsat.broker.logText()
            #expect(log.contains("comsat: cannot start: \(comsat.grantStorePath): grant store is corrupt at offset"), "\(log)")
            #expect(!comsat.broker.isRunning)

            // Repaired (here: the intact copy restored), it starts again.
            try Data(intact).write(to: URL(fileURLWithPath: comsat.grantStorePath))
            try await comsat.broker.start()
            try await comsat.connectController()
        }
    }

    @Test func aSecondBrokerCannotShareTheGrantStore() async throws {
        try await ComSatTestBroker.run { comsat in
            let second = try MosquittoBroker(
                ComSatTestBroker.configuration(
                    controller: comsat.controller, comsatID: comsat.comsatID, pluginDirectory: comsat.pluginDirectory))
            defer { second.removeFiles() }
            await #expect(throws: TestSupportError.self) { try await second.start() }
            #expect(second.logText().contains("locked by another process"), "\(second.logText())")
        }
    }

    /// The production template as it is (no test-harness lines): it starts, the plugin logs
    /// connections by client id, and no line carries the client's address.
    @Test func productionTemplateLogsNoClientAddresses() async throws {
        let files = try TemporaryDirectory(prefix: "comsat-production")
        defer { files.remove() }
        let controller = ComSatControllerIdentity(username: "controller", clientID: "controller-main")
        let port = try FreePort.next()
        var text = try String(contentsOfFile: TestPaths.brokerConfig("comsat.conf"), encoding: .utf8)
        let entry = try #require(getpwuid(geteuid()))
        let user = String(cString: entry.pointee.pw_name)
        for (placeholder, value) in [
            "${FOG_PORT}": String(port), "${FOG_BIND}": "127.0.0.1", "${FOG_DATA_DIR}": files.path + "/", "${FOG_USER}": user,
        ] {
            text = text.replacingOccurrences(of: placeholder, with: value)
        }
        #expect(!text.split(separator: "\n").contains { !$0.hasPrefix("#") && $0.contains("${") })
        text += "plugin \(TestPaths.builtProduct("libcomsat.so"))\n"
        for (key, value) in controller.pluginOptions(
            comsatID: OpaqueID(), grantStore: files.path + "/grants.journal", identityKeyFile: files.path + "/identity.key")
        {
            text += "plugin_opt_\(key) \(value)\n"
        }
        let configPath = files.path + "/comsat.conf"
        let logPath = files.path + "/comsat.log"
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
        let process = try ChildProcess.spawn("mosquitto", ["-c", configPath], outputFile: logPath)
        defer { process.kill() }
        try await waitUntil("the broker accepts connections", timeout: .seconds(10)) {
            FreePort.isAccepting(port: port)
        }
        let accepted = try await ChildProcess.run(
            "mosquitto_pub",
            ["-h", "127.0.0.1", "-p", String(port), "-V", "mqttv5", "-i", controller.clientID, "-u", controller.username,
                "-P", controller.secret.text, "-t", "c/" + OpaqueID().description, "-m", "x", "-q", "1"],
            timeout: .seconds(10))
        #expect(accepted.status == 0, "\(accepted.output)")
        let refused = try await ChildProcess.run(
            "mosquitto_pub",
            ["-h", "127.0.0.1", "-p", String(port), "-V", "mqttv5", "-i", "intruder", "-u", "intruder", "-P", "guess",
                "-t", "c/x", "-m", "x"],
            timeout: .seconds(10))
        #expect(refused.status != 0)
        try await waitUntil("the disconnect is logged", timeout: .seconds(5)) {
            ((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").contains("comsat: disconnected (client ~")
        }
        process.terminate()
        _ = await process.waitForExit(timeout: .seconds(10))
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        // Clients appear under their log alias (stable within the broker's run), never by id.
        let controllerAlias = try #require(log.firstMatch(of: /comsat: accepted controller \(client (~[0-9a-f]{10})\)/)).output.1
        let intruderAlias = try #require(log.firstMatch(of: /comsat: refused unknown username \(client (~[0-9a-f]{10})\)/)).output.1
        #expect(controllerAlias != intruderAlias)
        #expect(log.contains("comsat: disconnected (client \(controllerAlias))"), "\(log)")
        #expect(!log.contains("intruder"), "\(log)")
        #expect(!log.contains("127.0.0.1"), "\(log)")
    }
}
