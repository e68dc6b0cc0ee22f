internal import Synchronization

/// Splits a byte stream into newline-terminated lines, bounding the partial line it holds.
///
/// Fed from one reader thread at a time; the lock only makes the class `Sendable` so a
/// `@Sendable` pipe handler can own it.
final class LineSplitter: Sendable {
    private let maximumLineLength: Int
    private let pending = Mutex<[UInt8]>([])

    init(maximumLineLength: Int) {
        self.maximumLineLength = max(1, maximumLineLength)
    }

    func feed(_ chunk: [UInt8]) -> [String] {
        pending.withLock { pending in
            var lines: [String] = []
            for byte in chunk {
                if byte == UInt8(ascii: "\n") {
                    lines.append(String(decoding: pending, as: UTF8.self))
                    pending.removeAll(keepingCapacity: true)
                } else {
                    pending.append(byte)
                    if pending.count >= maximumLineLength {
                        lines.append(String(decoding: pending, as: UTF8.self))
                        pending.removeAll(keepingCapacity: true)
                    }
                }
            }
            return lines
        }
    }

    /// The unterminated rest, if any.
    func finish() -> String? {
        pending.withLock { pending in
            defer { pending.removeAll() }
            return pending.isEmpty ? nil : String(decoding: pending, as: UTF8.self)
        }
    }
}
