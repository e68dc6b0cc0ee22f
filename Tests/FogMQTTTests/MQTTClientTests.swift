import FogMQTT
import FogTestSupport
import Foundation
import Glibc
import Testing

@Suite struct MQTTClientTests {
    @Test func qos1RoundTrip() async throws {
        try await withMosquitto { broker in
            try await withClient(TestClients.configuration(broker, clientID: "rt-sub")) { subscriber in
                let received = Collector.draining(subscriber.messages)
                #expect(try await subscriber.subscribe("fog/rt", qos: .atLeastOnce) == .atLeastOnce)
                try await withClient(TestClients.configuration(broker, clientID: "rt-pub")) { publisher in
                    let reason = try await publisher.publish(topic: "fog/rt", payload: Array("hello".utf8), qos: .atLeastOnce)
                    #expect(reason == .success)
                }
                try await waitUntil("QoS 1 message delivered", timeout: .seconds(5)) { received.count >= 1 }
                #expect(received.all == [MQTTMessage(topic: "fog/rt", payload: Array("hello".utf8), qos: .atLeastOnce)])
            }
        }
    }

    @Test func everyQoSCompletesWithItsReasonCode() async throws {
        try await withMosquitto { broker in
            try await withClient(TestClients.configuration(broker, clientID: "qos-sub")) { subscriber in
                let received = Collector.draining(subscriber.messages)
                #expect(try await subscriber.subscribe("fog/qos/#", qos: .exactlyOnce) == .exactlyOnce)
                try await withClient(TestClients.configuration(broker, clientID: "qos-pub")) { publisher in
                    for qos in MQTTQoS.allCases {
                        let reason = try await publisher.publish(topic: "fog/qos/\(qos.rawValue)", payload: [qos.rawValue], qos: qos)
                        #expect(reason == .success, "\(qos)")
                    }
                    // A QoS 1 publish nobody subscribed to is acknowledged with 0x10, not an error.
                    let unmatched = try await publisher.publish(topic: "fog/nobody", payload: [1], qos: .atLeastOnce)
                    #expect(unmatched == .noMatchingSubscribers)
                }
                try await waitUntil("three messages delivered", timeout: .seconds(5)) { received.count >= 3 }
                #expect(received.all.map(\.qos) == [.atMostOnce, .atLeastOnce, .exactlyOnce])
                #expect(received.all.map(\.payload) == [[0], [1], [2]])
            }
        }
    }

    @Test func unsubscribeStopsDelivery() async throws {
        try await withMosquitto { broker in
            try await withClient(TestClients.configuration(broker, clientID: "unsub")) { client in
                let received = Collector.draining(client.messages)
                try await client.subscribe("fog/unsub/dropped", qos: .atLeastOnce)
                try await client.subscribe("fog/unsub/kept", qos: .atLeastOnce)
                try await client.unsubscribe("fog/unsub/dropped")
                let reason = try await client.publish(topic: "fog/unsub/dropped", payload: [1], qos: .atLeastOnce)
                #expect(reason == .noMatchingSubscribers)
                try await client.publish(topic: "fog/unsub/kept", payload: [2], qos: .atLeastOnce)
                // Ordered delivery: once the kept message is here, a stray one would be too.
                try await waitUntil("kept message", timeout: .seconds(5)) { received.count >= 1 }
                #expect(received.all.map(\.topic) == ["fog/unsub/kept"])
            }
        }
    }

    @Test func closedPortIsBrokerUnreachable() async throws {
        let port = try FreePort.next()
        var configuration = MQTTConfiguration(host: "127.0.0.1", port: port, clientID: "closed-port")
        // A refused TCP connect must fail at once, not after the connect timeout. The bound is
        // loose because the whole suite shares two cores with CPU-bound fuzz tests.
        configuration.connectTimeout = .seconds(60)
        let client = MQTTClient(configuration: configuration, logger: TestClients.logger)
        let (error, elapsed) = await measure {
            await #expect(throws: MQTTError.self) { try await client.connect() }
        }
        #expect(error?.code == .brokerUnreachable, "\(String(describing: error))")
        #expect(elapsed < .seconds(20))
        #expect(!client.isConnected)
        await client.disconnect()
    }

    @Test func silentBrokerTimesOut() async throws {
        // A listener that completes the TCP handshake (kernel backlog) but never answers.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(listener >= 0)
        defer { close(listener) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 4) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        try #require(listening)
        var configuration = MQTTConfiguration(
            host: "127.0.0.1", port: UInt16(bigEndian: address.sin_port), clientID: "silent")
        configuration.connectTimeout = .milliseconds(500)
        let client = MQTTClient(configuration: configuration, logger: TestClients.logger)
        let (error, elapsed) = await measure {
            await #expect(throws: MQTTError.self) { try await client.connect() }
        }
        #expect(error?.code == .timeout, "\(String(describing: error))")
        // Bounded by the connect timeout plus scheduling slack on a loaded 2-core machine.
        #expect(elapsed < .seconds(15))
        await client.disconnect()
    }

    @Test func badCredentialsAreNotAuthorizedWithoutRetrying() async throws {
        let directory = try TemporaryDirectory(prefix: "fog-passwd")
        defer { directory.remove() }
        let passwordFile = directory.path + "/passwords"
        let made = try await ChildProcess.run(
            "mosquitto_passwd", ["-b", "-c", passwordFile, "fog-user", "right-secret"], timeout: .seconds(10))
        try #require(made.status == 0, "\(made.output)")
        let config = BrokerConfiguration(extraLines: ["password_file \(passwordFile)"], allowAnonymous: false)
        try await withMosquitto(config) { broker in
            var wrong = TestClients.configuration(
                broker, clientID: "bad-credentials",
                reconnect: MQTTReconnectPolicy(initialDelay: .milliseconds(20), maximumDelay: .milliseconds(100)))
            wrong.username = "fog-user"
            wrong.password = "wrong-secret"
            let client = MQTTClient(configuration: wrong, logger: TestClients.logger)
            // The harness's readiness probe is a connection too; count from here on.
            let before = Self.connections(in: broker.logText())
            let (error, elapsed) = await measure {
                await #expect(throws: MQTTError.self) { try await client.connect() }
            }
            #expect(error?.code == .notAuthorized, "\(String(describing: error))")
            #expect(error.flatMap(\.reasonCode).map { [.badUsernameOrPassword, .notAuthorized].contains($0) } == true)
            // Far below the 10 s connect timeout: the refusal is reported, not waited out.
            #expect(elapsed < .seconds(8))
            #expect(error.map { !"\($0)".contains("wrong-secret") } == true, "the password leaked into the error")
            // Nothing should happen now. An endless loop (ours every 20-100 ms, or
            // libmosquitto's own every second) would show more connections in this window.
            try await Task.sleep(for: .milliseconds(1500))
            #expect(Self.connections(in: broker.logText()) - before == 1, "\(broker.logText())")
            await client.disconnect()

            var right = wrong
            right.clientID = "good-credentials"
            right.password = "right-secret"
            try await withClient(right) { client in #expect(client.isConnected) }
        }
    }

    private static func connections(in log: String) -> Int {
        log.components(separatedBy: "New connection from").count - 1
    }

    /// Mosquitto 2.0's `acl_file` never checks subscriptions, so the refusal comes from the
    /// dynamic-security plugin: anonymous clients may subscribe under fog/allowed/ only.
    @Test func refusedSubscriptionThrows() async throws {
        let plugin = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"
        let directory = try TemporaryDirectory(prefix: "fog-dynsec")
        defer { directory.remove() }
        let dynsecFile = directory.path + "/dynamic-security.json"
        let dynsec = """
            {
              "defaultACLAccess": {"publishClientSend": true, "publishClientReceive": true, "subscribe": false, "unsubscribe": true},
              "anonymousGroup": "anonymous",
              "clients": [],
              "groups": [{"groupname": "anonymous", "roles": [{"rolename": "allowed"}], "clients": []}],
              "roles": [{"rolename": "allowed", "acls": [{"acltype": "subscribePattern", "topic": "fog/allowed/#", "allow": true}]}]
            }
            """
        try dynsec.write(toFile: dynsecFile, atomically: true, encoding: .utf8)
        let config = BrokerConfiguration(plugin: plugin, pluginOptions: [("config_file", dynsecFile)])
        try await withMosquitto(config) { broker in
            try await withClient(TestClients.configuration(broker, clientID: "acl")) { client async throws in
                #expect(try await client.subscribe("fog/allowed/x", qos: .atLeastOnce) == .atLeastOnce)
                let error = await #expect(throws: MQTTError.self) {
                    try await client.subscribe("fog/secret", qos: .atLeastOnce)
                }
                #expect(error?.code == .subscriptionRefused, "\(String(describing: error))")
                #expect(error?.reasonCode == .notAuthorized)
                // The connection survives a refusal.
                #expect(try await client.subscribe("fog/allowed/y", qos: .atMostOnce) == .atMostOnce)
            }
        }
    }

    @Test func disconnectEndsStreamsAndOperations() async throws {
        try await withMosquitto { broker in
            let client = MQTTClient(configuration: TestClients.configuration(broker, clientID: "closing"), logger: TestClients.logger)
            let events = Collector.draining(client.events)
            try await client.connect()
            await client.disconnect()
            try await waitUntil("events finished", timeout: .seconds(5)) { events.count == 2 }
            #expect(events.all == [.connected(sessionPresent: false), .disconnected(reason: .normalDisconnection)])
            let publishError = await #expect(throws: MQTTError.self) {
                try await client.publish(topic: "fog/x", payload: [], qos: .atLeastOnce)
            }
            #expect(publishError?.code == .disconnected)
            let connectError = await #expect(throws: MQTTError.self) { try await client.connect() }
            #expect(connectError?.code == .disconnected)
            try await waitUntil("broker saw the DISCONNECT", timeout: .seconds(5)) {
                broker.logText().contains("Client closing disconnected")
            }
        }
    }

    @Test func invalidConfigurationIsRejectedBeforeConnecting() async {
        var configuration = MQTTConfiguration(host: "127.0.0.1", port: 1, clientID: "")
        configuration.cleanStart = false
        let client = MQTTClient(configuration: configuration, logger: TestClients.logger)
        let error = await #expect(throws: MQTTError.self) { try await client.connect() }
        #expect(error?.code == .invalidArgument)
        await client.disconnect()
    }
}
