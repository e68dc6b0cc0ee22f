import Synchronization

/// Everything a test stream delivered so far, read while the stream keeps running.
///
/// Tests wait on its contents with `waitUntil` instead of iterating the stream with a
/// timeout: cancelling an `AsyncStream` iteration would terminate the stream itself.
final class Collector<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])

    private init() {}

    /// Starts draining `stream` until it finishes (the client's `disconnect()` finishes it).
    static func draining(_ stream: AsyncStream<Element>) -> Collector {
        let collector = Collector()
        Task {
            for await item in stream {
                collector.items.withLock { $0.append(item) }
            }
        }
        return collector
    }

    var all: [Element] { items.withLock { $0 } }
    var count: Int { items.withLock { $0.count } }
}
