import FogMQTT
import FogTestSupport
import Testing

@Suite struct MQTTTLSTests {
    @Test func clientTrustingTheTestCARoundTrips() async throws {
        let directory = try TemporaryDirectory(prefix: "fog-tls")
        defer { directory.remove() }
        let authority = try TestCertificateAuthority()
        let server = try authority.writeServerFiles(to: directory.path)
        try await withMosquitto(BrokerConfiguration(tls: server)) { broker in
            var configuration = TestClients.configuration(broker, clientID: "tls-client")
            configuration.tls = MQTTTLSConfiguration(caFile: server.caFile)
            try await withClient(configuration) { client in
                let received = Collector.draining(client.messages)
                try await client.subscribe("fog/tls", qos: .atLeastOnce)
                #expect(try await client.publish(topic: "fog/tls", payload: [42], qos: .atLeastOnce) == .success)
                try await waitUntil("message over TLS", timeout: .seconds(5)) { received.count == 1 }
                #expect(received.all.first?.payload == [42])
            }
        }
    }

    @Test func clientCertificateIsPresentedWhenRequired() async throws {
        let directory = try TemporaryDirectory(prefix: "fog-mtls")
        defer { directory.remove() }
        let authority = try TestCertificateAuthority()
        let server = try authority.writeServerFiles(to: directory.path)
        let clientFiles = try authority.writeClientFiles(to: directory.path, commonName: "fog-agent")
        try await withMosquitto(BrokerConfiguration(tls: server, requireClientCertificate: true)) { broker in
            var configuration = TestClients.configuration(broker, clientID: "mtls-client")
            configuration.tls = MQTTTLSConfiguration(
                caFile: server.caFile, certFile: clientFiles.certFile, keyFile: clientFiles.keyFile)
            try await withClient(configuration) { client async throws in
                #expect(try await client.publish(topic: "fog/mtls", payload: [1], qos: .atLeastOnce) == .noMatchingSubscribers)
            }
        }
    }

    @Test func brokerSignedByAnotherCAIsATLSError() async throws {
        let directory = try TemporaryDirectory(prefix: "fog-tls-untrusted")
        defer { directory.remove() }
        let server = try TestCertificateAuthority().writeServerFiles(to: directory.path)
        let strangerCA = try TestCertificateAuthority(commonName: "Someone Else's CA")
            .writeCertificate(to: directory.path, name: "stranger-ca.crt")
        try await withMosquitto(BrokerConfiguration(tls: server)) { broker in
            var configuration = TestClients.configuration(
                broker, clientID: "tls-untrusting", reconnect: MQTTReconnectPolicy(initialDelay: .milliseconds(20)))
            configuration.tls = MQTTTLSConfiguration(caFile: strangerCA)
            let client = MQTTClient(configuration: configuration, logger: TestClients.logger)
            let (error, elapsed) = await measure {
                await #expect(throws: MQTTError.self) { try await client.connect() }
            }
            #expect(error?.code == .tls, "\(String(describing: error))")
            // Far below the 10 s connect timeout: the failure is detected, not waited out.
            #expect(elapsed < .seconds(8))
            #expect(!client.isConnected)
            await client.disconnect()
        }
    }

    @Test func unreadableCAFileIsATLSError() async throws {
        var configuration = MQTTConfiguration(host: "127.0.0.1", port: try FreePort.next(), clientID: "tls-missing-ca")
        configuration.tls = MQTTTLSConfiguration(caFile: "/nonexistent/fog-ca.crt")
        let client = MQTTClient(configuration: configuration, logger: TestClients.logger)
        let error = await #expect(throws: MQTTError.self) { try await client.connect() }
        #expect(error?.code == .tls, "\(String(describing: error))")
        #expect(error?.message.contains("/nonexistent/fog-ca.crt") == true)
        await client.disconnect()
    }
}
