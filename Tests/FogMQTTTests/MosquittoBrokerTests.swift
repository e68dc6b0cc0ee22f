import FogTestSupport
import Foundation
import Testing

@Suite struct MosquittoBrokerTests {
    @Test func startsAcceptsAndDeliversWithCommandLineClients() async throws {
        try await withMosquitto { broker in
            #expect(broker.isRunning)
            #expect(FreePort.isAccepting(host: broker.host, port: broker.port))
            let subscriber = try ChildProcess.spawn(
                try #require(ChildProcess.locate("mosquitto_sub")),
                ["-h", broker.host, "-p", "\(broker.port)", "-t", "fog/test", "-C", "1", "-i", "harness-sub"],
                outputFile: broker.directory + "/sub.out")
            try await waitUntil("subscriber connected", timeout: .seconds(10)) {
                broker.logText().contains("as harness-sub")
            }
            let publish = try await ChildProcess.run(
                "mosquitto_pub", ["-h", broker.host, "-p", "\(broker.port)", "-t", "fog/test", "-m", "hello", "-q", "1"],
                timeout: .seconds(10))
            #expect(publish.status == 0)
            #expect(await subscriber.waitForExit(timeout: .seconds(10)) == 0)
            #expect(try String(contentsOfFile: broker.directory + "/sub.out", encoding: .utf8) == "hello\n")
        }
    }

    @Test func tlsBrokerServesCertificatesFromTestCA() async throws {
        let directory = try TemporaryDirectory(prefix: "fog-tls")
        defer { directory.remove() }
        let authority = try TestCertificateAuthority()
        let server = try authority.writeServerFiles(to: directory.path)
        let client = try authority.writeClientFiles(to: directory.path, commonName: "fog-client")
        let keyMode = try FileManager.default.attributesOfItem(atPath: server.keyFile)[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        let config = BrokerConfiguration(tls: server, requireClientCertificate: true)
        try await withMosquitto(config) { broker in
            let base = ["-h", broker.host, "-p", "\(broker.port)", "-t", "fog/tls", "-m", "x", "--cafile", client.caFile]
            let trusted = try await ChildProcess.run(
                "mosquitto_pub", base + ["--cert", client.certFile, "--key", client.keyFile], timeout: .seconds(10))
            #expect(trusted.status == 0, "\(trusted.output)")
            let withoutClientCertificate = try await ChildProcess.run("mosquitto_pub", base, timeout: .seconds(10))
            #expect(withoutClientCertificate.status != 0)
        }
    }

    @Test func restartKeepsPortAndStopClosesIt() async throws {
        try await withMosquitto { broker in
            let port = broker.port
            let firstPID = broker.pid
            try await broker.restart()
            #expect(broker.port == port)
            #expect(broker.pid != firstPID)
            #expect(FreePort.isAccepting(host: broker.host, port: port))
            await broker.kill()
            #expect(!broker.isRunning)
            #expect(!FreePort.isAccepting(host: broker.host, port: port))
            try await broker.start()
            #expect(broker.port == port)
            await broker.stop()
            #expect(!FreePort.isAccepting(host: broker.host, port: port))
            #expect(broker.logText().contains("terminating"))
        }
    }

    @Test func brokerThatCannotStartReportsItsLog() async throws {
        let config = BrokerConfiguration(extraLines: ["fog_not_a_mosquitto_option 1"])
        let error = await #expect(throws: TestSupportError.self) {
            try await withMosquitto(config) { _ in }
        }
        #expect(error?.code == .brokerFailed)
        #expect(error?.message.contains("fog_not_a_mosquitto_option") == true)
    }

    @Test func filesAreRemovedAfterwards() async throws {
        let directory = try await withMosquitto { $0.directory }
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test func waitUntilNamesWhatTimedOut() async {
        let error = await #expect(throws: TestSupportError.self) {
            try await waitUntil("the impossible", timeout: .milliseconds(50)) { false }
        }
        #expect(error?.message.contains("the impossible") == true)
    }
}
