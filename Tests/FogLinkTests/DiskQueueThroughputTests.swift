import FogLink
import FogTestSupport
import Foundation
import Testing

/// Appends per second of 32-byte records with group commit, for 1 and 16 concurrent writers.
/// A measurement, not a check: it runs only with FOG_QUEUE_THROUGHPUT=1 and prints numbers
/// (for docs/BENCHMARKS.md), asserting nothing about speed.
@Suite(.serialized) struct DiskQueueThroughputTests {
    static let enabled = ProcessInfo.processInfo.environment["FOG_QUEUE_THROUGHPUT"] == "1"

    @Test(.enabled(if: enabled), arguments: [1, 16])
    func appendsPerSecond(writers: Int) async throws {
        for linger in [Duration.zero, .milliseconds(2)] {
            let temporary = try TemporaryDirectory(prefix: "fog-queue-throughput")
            defer { temporary.remove() }
            let queue = try DiskQueue(
                directory: temporary.path + "/queue", configuration: DiskQueueConfiguration(linger: linger),
                logger: LogRecorder().logger)
            let record = [UInt8](repeating: 0x5A, count: 32)
            let perWriter = writers == 1 ? 1_000 : 500
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<writers {
                        group.addTask {
                            for _ in 0..<perWriter { try await queue.append(record) }
                        }
                    }
                    try await group.waitForAll()
                }
            }
            let statistics = await queue.statistics
            await queue.close()
            let total = writers * perWriter
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "DiskQueue throughput: writers=\(writers) linger=\(linger) appends=\(total) "
                    + "seconds=\(String(format: "%.3f", seconds)) appends/s=\(Int(Double(total) / seconds)) "
                    + "syncs=\(statistics.dataSyncs) records/sync=\(String(format: "%.1f", Double(total) / Double(statistics.dataSyncs)))"
            )
            #expect(statistics.nextSequence == UInt64(total) + 1)
        }
    }
}
