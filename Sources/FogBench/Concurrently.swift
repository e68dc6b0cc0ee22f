/// Runs many independent async operations with a bound on how many are in flight, as an
/// operator's script or a client pool would.
enum Concurrently {
    /// Calls `body` for every index in `0..<count`, at most `inFlight` at a time, and returns
    /// the results in index order. The first error cancels the rest and is rethrown.
    static func map<Result: Sendable>(
        _ count: Int, inFlight: Int, _ body: @escaping @Sendable (Int) async throws -> Result
    ) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask { (index, try await body(index)) }
            }
            while next < min(max(inFlight, 1), count) { start() }
            var results: [Result?] = Array(repeating: nil, count: count)
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < count { start() }
            }
            return results.compactMap { $0 }
        }
    }
}
