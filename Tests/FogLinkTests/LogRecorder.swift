import Logging
import Synchronization

/// Collects log messages so a test can check that an event was logged, not only counted.
final class LogRecorder: Sendable {
    private let entries = Mutex<[(level: Logger.Level, message: String)]>([])

    var logger: Logger {
        Logger(label: "fogfabric.test.queue") { _ in Handler(recorder: self) }
    }

    func messages(atLeast level: Logger.Level) -> [String] {
        entries.withLock { entries in entries.filter { $0.level >= level }.map(\.message) }
    }

    private struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            recorder.entries.withLock { $0.append((event.level, event.message.description)) }
        }
    }
}
