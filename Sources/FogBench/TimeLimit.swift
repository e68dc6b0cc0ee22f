import FogMQTT

/// A scenario's hard time limit: the run is cancelled when the limit passes and the caller
/// gets a `BenchError.timeLimit` naming it.
enum TimeLimit {
    /// Runs `body`, cancelling it after `limit`. Cancellation reaches every await in
    /// `body` (brokers are stopped by their own cleanup), so the call returns soon after.
    static func run<T: Sendable>(
        _ limit: Duration, _ scenario: String, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw BenchError(.timeLimit, "\(scenario) did not finish within its time limit of \(limit) (raise it with --time-limit)")
            }
            return value
        }
    }
}

extension TimeLimit {
    /// The same limit for work on a dedicated thread, which cancellation does not reach:
    /// the work calls `check` between steps that each have a bounded wait.
    struct Deadline: Sendable {
        let scenario: String
        let limit: Duration
        private let end: UInt64

        init(_ limit: Duration, _ scenario: String) {
            self.scenario = scenario
            self.limit = limit
            end = MonotonicClock.nanoseconds() + MonotonicClock.nanoseconds(of: limit)
        }

        /// - Throws: `BenchError.timeLimit` once the limit has passed.
        func check(_ doing: @autoclosure () -> String) throws {
            guard MonotonicClock.nanoseconds() < end else {
                throw BenchError(
                    .timeLimit, "\(scenario) did not finish within its time limit of \(limit) (while \(doing()); raise it with --time-limit)")
            }
        }
    }
}
