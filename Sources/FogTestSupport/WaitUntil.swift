/// Polls `condition` until it returns true, instead of sleeping for a guessed time.
///
/// - Parameters:
///   - what: names the awaited condition in the timeout error.
///   - timeout: the deadline; the condition is checked once more at the deadline.
/// - Throws: `TestSupportError.timeout` naming `what` and the caller's location,
///   `CancellationError` if the task is cancelled, or whatever `condition` throws.
nonisolated(nonsending)
public func waitUntil(
    _ what: String = "condition",
    timeout: Duration,
    poll: Duration = .milliseconds(20),
    fileID: String = #fileID,
    line: Int = #line,
    _ condition: () async throws -> Bool
) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now.advanced(by: timeout)
    while true {
        if try await condition() {
            return
        }
        if clock.now >= deadline {
            throw TestSupportError(.timeout, "\(what) not true after \(timeout) (awaited at \(fileID):\(line))")
        }
        try await Task.sleep(for: poll)
    }
}
