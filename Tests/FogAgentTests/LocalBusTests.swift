@testable import FogAgent
import FogCore
import FogIntegrationSupport
import FogMQTT
import FogTestSupport
import Foundation
import Testing

@Suite struct LocalBusTests {
    /// A known answer from `mosquitto_passwd -b` (Mosquitto 2.0.11) for alice / s3cret.
    @Test func passwordHashMatchesMosquittoPasswd() throws {
        let salt = try #require(Data(base64Encoded: "tYPZ3iNsyEvM2E7z"))
        let entry = MosquittoPasswordHash.entry(username: "alice", password: "s3cret", salt: Array(salt))
        #expect(
            entry
                == "alice:$7$101$tYPZ3iNsyEvM2E7z$Q60eBtzruzXeht+V3AjU4eKMaYEA3aK9dTQIGE68aVZ87wo04k5A28PMuuMNcKS1UoIcKGd1aHa3yAn+8oYM5g=="
        )
    }

    /// A microservice publishes only to its output and receives only its input, even when it
    /// subscribes to `#`; a wrong password is refused.
    @Test func microserviceIsConfinedToItsTopics() async throws {
        try await AgentTestKit.withBus { bus in
            let sensorCredentials = try await bus.setUser(
                .microservice(name: "sensor"), publish: [LocalBusTopic.output(of: "sensor")],
                read: [LocalBusTopic.input(of: "sensor")])
            let consumerCredentials = try await bus.setUser(
                .microservice(name: "consumer"), publish: [LocalBusTopic.output(of: "consumer")],
                read: [LocalBusTopic.input(of: "consumer")])
            let halfCredentials = try await bus.setUser(
                .linkHalf(linkID: OpaqueID(), side: .a),
                publish: [LocalBusTopic.input(of: "consumer"), LocalBusTopic.input(of: "sensor")],
                read: [LocalBusTopic.output(of: "sensor")])

            let sensor = try await AgentTestKit.client(bus, sensorCredentials, id: "sensor")
            let consumer = try await AgentTestKit.client(bus, consumerCredentials, id: "consumer")
            let half = try await AgentTestKit.client(bus, halfCredentials, id: "half")
            defer { Task { await sensor.close(); await consumer.close(); await half.close() } }

            // Mosquitto 2.0.11's acl_file does not check SUBSCRIBE: these are granted...
            try await sensor.client.subscribe("#", qos: .atLeastOnce)
            try await sensor.client.subscribe(LocalBusTopic.input(of: "consumer"), qos: .atLeastOnce)
            try await consumer.client.subscribe(LocalBusTopic.input(of: "consumer"), qos: .atLeastOnce)
            try await half.client.subscribe("#", qos: .atLeastOnce)

            // ...but a publish outside the output topic reaches nobody.
            _ = try? await sensor.client.publish(
                topic: LocalBusTopic.input(of: "consumer"), payload: Array("forged".utf8), qos: .atLeastOnce)
            _ = try? await sensor.client.publish(topic: "elsewhere", payload: Array("stray".utf8), qos: .atLeastOnce)
            try await sensor.client.publish(
                topic: LocalBusTopic.output(of: "sensor"), payload: Array("reading".utf8), qos: .atLeastOnce)
            try await waitUntil("half received the sensor's output", timeout: .seconds(10)) {
                half.payloads.contains("reading")
            }
            // The broker handles the sensor's publishes in order, so "forged" and "stray" were
            // decided before "reading" reached the half.
            #expect(half.payloads == ["reading"])

            try await half.client.publish(
                topic: LocalBusTopic.input(of: "consumer"), payload: Array("relayed".utf8), qos: .atLeastOnce)
            try await half.client.publish(
                topic: LocalBusTopic.input(of: "sensor"), payload: Array("for-sensor".utf8), qos: .atLeastOnce)
            try await waitUntil("consumer received the relayed message", timeout: .seconds(10)) {
                consumer.payloads.contains("relayed")
            }
            try await waitUntil("sensor received its input", timeout: .seconds(10)) {
                sensor.payloads.contains("for-sensor")
            }
            #expect(consumer.payloads == ["relayed"])
            // Subscribed to `#` and to the consumer's input, yet it received only its own input.
            #expect(sensor.messages.map(\.topic) == [LocalBusTopic.input(of: "sensor")])

            for password in ["wrong-password", ""] {
                let refused = MQTTClient(
                    configuration: MQTTConfiguration(
                        host: bus.host, port: try #require(await bus.port), clientID: "intruder",
                        username: sensorCredentials.username, password: password, connectTimeout: .seconds(5)),
                    logger: AgentTestKit.logger)
                await #expect(throws: MQTTError.self) { _ = try await refused.connect() }
                await refused.disconnect()
            }
        }
    }

    /// Rewriting the ACL and sending SIGHUP changes what a connected client receives.
    @Test func changedAclTakesEffectAfterReload() async throws {
        try await AgentTestKit.withBus { bus in
            let watched = "ms/watched/out"
            let sentinel = "ms/sentinel/out"
            let publisherCredentials = try await bus.setUser(
                .microservice(name: "publisher"), publish: [watched, sentinel], read: [])
            let owner = LocalBusOwner.linkHalf(linkID: OpaqueID(), side: .b)
            let readerCredentials = try await bus.setUser(owner, publish: [], read: [sentinel])
            let publisher = try await AgentTestKit.client(bus, publisherCredentials, id: "publisher")
            let reader = try await AgentTestKit.client(bus, readerCredentials, id: "reader")
            defer { Task { await publisher.close(); await reader.close() } }
            try await reader.client.subscribe("ms/#", qos: .atLeastOnce)

            /// Publishes `label` on the watched topic, then a sentinel; once the sentinel
            /// arrived, says whether the watched message did too.
            @Sendable func watchedArrives(_ label: String) async throws -> Bool {
                try await publisher.client.publish(topic: watched, payload: Array(label.utf8), qos: .atLeastOnce)
                try await publisher.client.publish(topic: sentinel, payload: Array("s-\(label)".utf8), qos: .atLeastOnce)
                try await waitUntil("sentinel \(label)", timeout: .seconds(10)) { reader.payloads.contains("s-\(label)") }
                return reader.payloads.contains(label)
            }

            #expect(try await watchedArrives("before") == false)
            let usernameBefore = readerCredentials.username
            let granted = try await bus.setUser(owner, publish: [], read: [sentinel, watched])
            #expect(granted == readerCredentials, "the password and username stay, so the client stays logged in")
            var attempt = 0
            try await waitUntil("the widened ACL applies", timeout: .seconds(15), poll: .milliseconds(50)) {
                attempt += 1
                return try await watchedArrives("granted-\(attempt)")
            }
            try await bus.setUser(owner, publish: [], read: [sentinel])
            try await waitUntil("the narrowed ACL applies", timeout: .seconds(15), poll: .milliseconds(50)) {
                attempt += 1
                return try await !watchedArrives("revoked-\(attempt)")
            }
            let acl = try String(contentsOfFile: bus.directory + "/acl", encoding: .utf8)
            #expect(acl.contains("user \(usernameBefore)\ntopic read \(sentinel)\n"))
            #expect(!acl.contains("topic read \(watched)"))
        }
    }

    @Test func busIsRestartedAfterItDies() async throws {
        try await AgentTestKit.withBus { bus in
            let supervision = Task { await bus.supervise() }
            defer { supervision.cancel() }
            let port = try #require(await bus.port)
            let firstPID = try #require(await bus.pid)
            #expect(kill(firstPID, SIGKILL) == 0)
            try await waitUntil("bus restarted", timeout: .seconds(15)) {
                let pid = await bus.pid
                return pid != nil && pid != firstPID && LoopbackPort.isAccepting(port)
            }
            #expect(await bus.port == port)
            #expect(await bus.restartCount == 1)
        }
    }

    @Test func refusesTopicsThatWouldInjectAclLines() async throws {
        try await AgentTestKit.withBus { bus in
            for topic in ["ok\nuser admin", "a/+/b", "#", " padded", ""] {
                await #expect(throws: LocalBusError.self) {
                    try await bus.setUser(.microservice(name: "evil"), publish: [topic], read: [])
                }
            }
            #expect(await bus.owners.isEmpty)
        }
    }

    @Test func busFilesAreOwnerOnlyAndListenOnLoopback() async throws {
        try await AgentTestKit.withBus { bus in
            try await bus.setUser(.microservice(name: "m"), publish: ["ms/m/out"], read: ["ms/m/in"])
            for name in ["users.json", "passwd", "acl", "mosquitto.conf"] {
                #expect(try fileMode(bus.directory + "/" + name) & 0o777 == 0o600, "\(name)")
            }
            #expect(try fileMode(bus.directory) & 0o777 == 0o700)
            let pid = try #require(await bus.pid)
            try await waitUntil("the bus's listening socket visible in /proc/net", timeout: .seconds(10)) {
                !ListeningSockets.of(processes: [pid]).isEmpty
            }
            let sockets = ListeningSockets.of(processes: [pid])
            #expect(sockets.allSatisfy { $0.isLoopback }, "\(sockets)")
        }
    }
}
