import Synchronization

/// Everything a stream delivered so far, read while the stream keeps running; tests wait on
/// it with `waitUntil` instead of iterating with a timeout.
final class Inbox<Element: Sendable>: Sendable {
    private let items = Mutex<[Element]>([])

    static func draining(_ stream: AsyncStream<Element>) -> Inbox {
        let inbox = Inbox()
        Task {
            for await item in stream {
                inbox.items.withLock { $0.append(item) }
            }
        }
        return inbox
    }

    var all: [Element] { items.withLock { $0 } }
}
