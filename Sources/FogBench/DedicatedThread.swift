import Glibc

/// Runs blocking work on a thread of its own and awaits its result.
///
/// A swarm's event loop blocks in `epoll_wait`; on a Swift concurrency executor it would
/// hold one of the machine's two cooperative threads for the whole run.
enum DedicatedThread {
    static func run<Result: Sendable>(
        _ body: @escaping @Sendable () throws -> Result
    ) async throws -> Result {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, any Error>) in
            let job = Job {
                continuation.resume(with: Swift.Result { try body() })
            }
            let argument = Unmanaged.passRetained(job).toOpaque()
            var thread = pthread_t()
            let created = pthread_create(&thread, nil, { argument in
                guard let argument else { return nil }
                let job = Unmanaged<Job>.fromOpaque(argument).takeRetainedValue()
                job.work()
                return nil
            }, argument)
            if created != 0 {
                Unmanaged<Job>.fromOpaque(argument).release()
                continuation.resume(throwing: BenchError(.systemCall, "pthread_create failed: \(String(cString: strerror(created)))"))
                return
            }
            pthread_detach(thread)
        }
    }

    private final class Job: Sendable {
        let work: @Sendable () -> Void
        init(_ work: @escaping @Sendable () -> Void) {
            self.work = work
        }
    }
}
