import FogMQTT
import FogTestSupport
import Foundation
import Logging

enum TestClients {
    /// Silent unless `FOG_TEST_LOG` is set (to a level such as `debug`); the broker log is
    /// the record tests read.
    static let logger: Logger = {
        guard let level = ProcessInfo.processInfo.environment["FOG_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) else {
            return Logger(label: "fogfabric.test.mqtt") { _ in SwiftLogNoOpLogHandler() }
        }
        var logger = Logger(label: "fogfabric.test.mqtt") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }()

    static func configuration(
        _ broker: MosquittoBroker, clientID: String, reconnect: MQTTReconnectPolicy? = nil
    ) -> MQTTConfiguration {
        MQTTConfiguration(
            host: broker.host, port: broker.port, clientID: clientID, reconnect: reconnect,
            connectTimeout: .seconds(5), operationTimeout: .seconds(10))
    }
}

/// Runs `body` with a client that is disconnected afterwards, whether `body` threw or not.
nonisolated(nonsending)
func withClient<T>(
    _ configuration: MQTTConfiguration, connect: Bool = true, _ body: (MQTTClient) async throws -> T
) async throws -> T {
    let client = MQTTClient(configuration: configuration, logger: TestClients.logger)
    do {
        if connect {
            try await client.connect()
        }
        let result = try await body(client)
        await client.disconnect()
        return result
    } catch {
        await client.disconnect()
        throw error
    }
}

/// Runs `body` and returns how long it took.
nonisolated(nonsending)
func measure<T>(_ body: () async throws -> T) async rethrows -> (T, Duration) {
    let clock = ContinuousClock()
    let start = clock.now
    let result = try await body()
    return (result, clock.now - start)
}
