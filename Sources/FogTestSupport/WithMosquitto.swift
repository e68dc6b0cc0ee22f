import Foundation

/// Runs `body` with a started broker, then stops it and deletes its files, whether `body`
/// returned or threw. When `body` throws, the broker's log goes to stderr first, so the test
/// failure comes with the broker's side of the story.
nonisolated(nonsending)
public func withMosquitto<T>(
    _ config: BrokerConfiguration = .init(),
    _ body: (MosquittoBroker) async throws -> T
) async throws -> T {
    let broker = try MosquittoBroker(config)
    defer { broker.removeFiles() }
    do {
        try await broker.start()
        let result = try await body(broker)
        await broker.stop()
        return result
    } catch {
        await broker.stop()
        if let failure = error as? TestSupportError, failure.code == .brokerFailed {
            // A broker that failed to start already carries its log in the error.
            throw error
        }
        let report = "--- mosquitto log (\(broker.host):\(broker.port), \(config.template)) after \(error) ---\n"
            + broker.logText() + "--- end of mosquitto log ---\n"
        FileHandle.standardError.write(Data(report.utf8))
        throw error
    }
}
