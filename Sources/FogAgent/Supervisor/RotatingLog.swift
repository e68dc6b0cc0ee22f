internal import Glibc
internal import Synchronization

/// A size-bounded log file fed with a child's output: when `path` would grow past `limit`
/// bytes it is renamed to `path.1` (replacing the previous copy) and a new `path` started, so
/// the pair never holds more than about `2 × limit` bytes. Files are created 0600.
///
/// Fed from a pipe's reader thread; the lock makes it `Sendable` and orders writes. Write
/// failures (disk full) drop the chunk rather than stall the child on a full pipe.
final class RotatingLog: Sendable {
    let path: String
    let limit: Int

    private struct State {
        var descriptor: Int32 = -1
        var size = 0
    }
    private let state = Mutex(State())

    init(path: String, limit: Int) {
        self.path = path
        self.limit = max(1_024, limit)
    }

    deinit {
        state.withLock { state in
            if state.descriptor >= 0 {
                _ = Glibc.close(state.descriptor)
            }
        }
    }

    /// The pipe handler for `ChildProcessOutput.pipe`; closes the file at end of output.
    var sink: @Sendable ([UInt8]?) -> Void {
        { [self] chunk in
            if let chunk {
                append(chunk)
            } else {
                close()
            }
        }
    }

    func append(_ chunk: [UInt8]) {
        state.withLock { state in
            var rest = chunk[...]
            while !rest.isEmpty {
                if state.descriptor < 0 {
                    open(&state)
                    if state.descriptor < 0 { return }
                }
                if state.size >= limit {
                    rotate(&state)
                    continue
                }
                let room = limit - state.size
                let piece = rest.prefix(room)
                let written = piece.withUnsafeBytes { write(state.descriptor, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                state.size += written
                rest = rest.dropFirst(written)
            }
        }
    }

    func close() {
        state.withLock { state in
            if state.descriptor >= 0 {
                _ = Glibc.close(state.descriptor)
                state.descriptor = -1
            }
        }
    }

    private func open(_ state: inout State, truncate: Bool = false) {
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0)
        let descriptor = Glibc.open(path, flags, 0o600)
        guard descriptor >= 0 else { return }
        var info = stat()
        state.size = fstat(descriptor, &info) == 0 ? Int(info.st_size) : 0
        state.descriptor = descriptor
    }

    private func rotate(_ state: inout State) {
        _ = Glibc.close(state.descriptor)
        state.descriptor = -1
        _ = rename(path, path + ".1")
        // Truncating also bounds the file if the rename failed.
        open(&state, truncate: true)
    }
}
