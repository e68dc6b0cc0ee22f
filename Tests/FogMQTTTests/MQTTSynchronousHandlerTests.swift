import FogMQTT
import FogTestSupport
import Foundation
import Glibc
import Synchronization
import Testing

/// The synchronous handler runs before the PUBACK leaves: a process killed inside it leaves
/// the message unacknowledged, and the broker delivers it again to the resumed session.
@Suite struct MQTTSynchronousHandlerTests {
    static let childPortVariable = "FOG_SYNC_HANDLER_CHILD_PORT"
    static let childModeVariable = "FOG_SYNC_HANDLER_CHILD_MODE"
    static let topic = "fog/sync"

    /// The child dies inside the handler (`synchronous`): the broker redelivers. The same
    /// child reading `messages` instead (`stream`) dies after libmosquitto acknowledged, and
    /// nothing comes back: the contrast shows the test can tell the two apart.
    @Test(arguments: ["synchronous", "stream"])
    func killInsideTheHandlerLeavesTheMessageUnacknowledged(mode: String) async throws {
        try await withMosquitto { broker in
            let directory = try TemporaryDirectory(prefix: "fog-sync-handler")
            defer { directory.remove() }
            let output = directory.path + "/child.log"
            let child = try ChildProcess.spawn(
                Self.testExecutable(),
                ["--testing-library", "swift-testing", "--filter", "MQTTSynchronousHandlerTests/childDiesWithTheMessage"],
                environment: ProcessInfo.processInfo.environment.merging(
                    [Self.childPortVariable: "\(broker.port)", Self.childModeVariable: mode]) { $1 },
                outputFile: output)
            defer { child.kill() }
            func childLog() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
            try await waitUntil("child subscribed", timeout: .seconds(30)) { childLog().contains("child subscribed") }

            let payload = Array("reading 1".utf8)
            try await withClient(TestClients.configuration(broker, clientID: "sync-publisher")) { publisher in
                _ = try await publisher.publish(topic: Self.topic, payload: payload, qos: .atLeastOnce)
            }
            let status = await child.waitForExit(timeout: .seconds(30))
            #expect(status == 128 + SIGKILL, "child did not die in its handler: \(childLog())")

            var configuration = TestClients.configuration(broker, clientID: "sync-child")
            configuration.cleanStart = false
            configuration.sessionExpiry = 3600
            try await withClient(configuration, connect: false) { resumed in
                let received = Collector.draining(resumed.messages)
                #expect(try await resumed.connect().sessionPresent)
                // One topic is delivered in order: once this probe is in, anything queued is.
                let probe = Array("probe".utf8)
                try await withClient(TestClients.configuration(broker, clientID: "sync-probe")) { publisher in
                    _ = try await publisher.publish(topic: Self.topic, payload: probe, qos: .atLeastOnce)
                }
                try await waitUntil("probe", timeout: .seconds(10)) { received.all.last?.payload == probe }
                let before = received.all.dropLast().map(\.payload)
                if mode == "synchronous" {
                    #expect(before == [payload], "the broker did not redeliver the message the handler never finished")
                } else {
                    #expect(before.isEmpty, "libmosquitto acknowledged before the stream reader saw it")
                }
            }
        }
    }

    /// Runs only as the child of the test above (the variables are unset otherwise).
    @Test(.enabled(if: ProcessInfo.processInfo.environment[Self.childPortVariable] != nil))
    func childDiesWithTheMessage() async throws {
        let environment = ProcessInfo.processInfo.environment
        let port = try #require(environment[Self.childPortVariable].flatMap(UInt16.init))
        let synchronous = environment[Self.childModeVariable] == "synchronous"
        var configuration = MQTTConfiguration(
            host: "127.0.0.1", port: port, clientID: "sync-child", cleanStart: false, sessionExpiry: 3600,
            connectTimeout: .seconds(5), operationTimeout: .seconds(10))
        configuration.keepAlive = 30
        let client =
            synchronous
            ? MQTTClient(configuration: configuration, logger: TestClients.logger) { _ in
                Glibc.kill(getpid(), SIGKILL)
            }
            : MQTTClient(configuration: configuration, logger: TestClients.logger)
        try await client.connect()
        try await client.subscribe(Self.topic, qos: .atLeastOnce)
        // Unbuffered, so the parent sees it at once.
        let line = Array("child subscribed\n".utf8)
        _ = line.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        if !synchronous {
            for await _ in client.messages {
                // The stream has the message: libmosquitto wrote its PUBACK before yielding.
                try await Task.sleep(for: .milliseconds(200))
                Glibc.kill(getpid(), SIGKILL)
            }
        }
        try await Task.sleep(for: .seconds(30))
        Issue.record("no message reached the child")
    }

    @Test func userPropertiesTravelWithTheMessageInOrder() async throws {
        try await withMosquitto { broker in
            try await withClient(TestClients.configuration(broker, clientID: "props-subscriber")) { subscriber in
                let received = Collector.draining(subscriber.messages)
                try await subscriber.subscribe("fog/props", qos: .atLeastOnce)
                let properties = [
                    MQTTUserProperty("fog-link-seq", "42"), MQTTUserProperty("note", "é ü"),
                    MQTTUserProperty("fog-link-seq", "43"),
                ]
                try await withClient(TestClients.configuration(broker, clientID: "props-publisher")) { publisher in
                    _ = try await publisher.publish(
                        topic: "fog/props", payload: [1], qos: .atLeastOnce, userProperties: properties)
                    _ = try await publisher.publish(topic: "fog/props", payload: [2], qos: .atMostOnce)
                }
                try await waitUntil("both messages", timeout: .seconds(10)) { received.count == 2 }
                #expect(received.all[0].userProperties == properties)
                #expect(received.all[0].userProperty("fog-link-seq") == "42")
                #expect(received.all[1].userProperties.isEmpty)
            }
        }
    }

    /// Messages reach the handler on the network thread, in order, and not the stream.
    @Test func synchronousHandlerTakesEveryMessageInsteadOfTheStream() async throws {
        try await withMosquitto { broker in
            let seen = Mutex<[UInt8]>([])
            let client = MQTTClient(
                configuration: TestClients.configuration(broker, clientID: "sync-order"), logger: TestClients.logger
            ) { message in
                seen.withLock { $0.append(message.payload.first ?? 0) }
            }
            let streamed = Collector.draining(client.messages)
            try await client.connect()
            try await client.subscribe("fog/order", qos: .atLeastOnce)
            try await withClient(TestClients.configuration(broker, clientID: "sync-order-publisher")) { publisher in
                for value in UInt8(0)..<100 {
                    _ = try await publisher.publish(topic: "fog/order", payload: [value], qos: .atLeastOnce)
                }
            }
            try await waitUntil("100 messages", timeout: .seconds(10)) { seen.withLock { $0.count } == 100 }
            #expect(seen.withLock { $0 } == Array(0..<100))
            await client.disconnect()
            #expect(streamed.count == 0)
        }
    }

    /// This test binary, to run one of its tests as a child process.
    static func testExecutable() throws -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        try #require(length > 0)
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
