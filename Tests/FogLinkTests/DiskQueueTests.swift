import FogLink
import FogTestSupport
import Foundation
import Synchronization
import Testing

/// The durable queue on real files: order, group commit, acknowledgement, recovery from torn
/// tails and crashes, the full policies, and destruction.
@Suite struct DiskQueueTests {
    /// A payload that names its writer and index, so a test can tell records apart.
    static func reading(_ writer: Int, _ index: Int, size: Int = 32) -> [UInt8] {
        var bytes = Array("w\(writer)-\(index)|".utf8)
        bytes.append(contentsOf: repeatElement(UInt8(truncatingIfNeeded: writer &+ index), count: max(0, size - bytes.count)))
        return bytes
    }

    static func withDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let temporary = try TemporaryDirectory(prefix: "fog-queue")
        defer { temporary.remove() }
        return try await body(temporary.path + "/queue")
    }

    static func segmentFiles(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }.sorted()
    }

    @Test func sequencesStayContiguousAndOrderedAcrossReopen() async throws {
        try await Self.withDirectory { directory in
            let recorder = LogRecorder()
            let configuration = DiskQueueConfiguration(segmentBytes: 300)
            var queue = try DiskQueue(directory: directory, configuration: configuration, logger: recorder.logger)
            var expected: [DiskQueueRecord] = []
            for index in 0..<10 {
                let record = Self.reading(1, index)
                expected.append(DiskQueueRecord(sequence: try await queue.append(record), bytes: record))
            }
            let batch = (10..<15).map { Self.reading(1, $0) }
            let range = try await queue.append(contentsOf: batch)
            #expect(range == 11...15)
            expected += zip(range, batch).map { DiskQueueRecord(sequence: $0, bytes: $1) }
            #expect(expected.map(\.sequence) == Array(1...15))
            await queue.close()

            queue = try DiskQueue(directory: directory, configuration: configuration, logger: recorder.logger)
            let record = Self.reading(1, 15)
            #expect(try await queue.append(record) == 16)
            expected.append(DiskQueueRecord(sequence: 16, bytes: record))
            #expect(try await queue.records(from: 1) == expected)
            #expect(try await queue.records(from: 7, maximumCount: 3) == Array(expected[6..<9]))
            // A byte budget stops before the record that would exceed it, but never returns nothing.
            #expect(try await queue.records(from: 2, maximumBytes: 70).map(\.sequence) == [2, 3])
            #expect(try await queue.records(from: 3, maximumBytes: 1).map(\.sequence) == [3])
            #expect(try await queue.records(from: 17) == [])
            let statistics = await queue.statistics
            #expect(statistics.nextSequence == 17)
            #expect(statistics.pendingCount == 16)
            #expect(statistics.pendingBytes == 16 * 40)
            #expect(statistics.segmentCount > 1)
            #expect(try statistics.segmentCount == Self.segmentFiles(directory).count)
            await queue.close()
            await #expect(throws: DiskQueueError.self) { try await queue.append([1]) }
        }
    }

    @Test func filesArePrivate() async throws {
        try await Self.withDirectory { directory in
            let queue = try DiskQueue(directory: directory, logger: LogRecorder().logger)
            try await queue.append([1, 2, 3])
            try await queue.acknowledge(through: 1)
            await queue.close()
            #expect(try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int == 0o700)
            for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
                let mode = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.posixPermissions]
                #expect(mode as? Int == 0o600, "\(name)")
            }
        }
    }

    @Test func groupCommitSharesSyncsAmongConcurrentAppends() async throws {
        try await Self.withDirectory { directory in
            let queue = try DiskQueue(directory: directory, logger: LogRecorder().logger)
            let count = 1_000
            let results = await withTaskGroup(of: (Int, Result<UInt64, DiskQueueError>).self) { group in
                for index in 0..<count {
                    group.addTask {
                        do throws(DiskQueueError) {
                            return (index, .success(try await queue.append(Self.reading(index, 0))))
                        } catch {
                            return (index, .failure(error))
                        }
                    }
                }
                var results: [Int: UInt64] = [:]
                for await (index, result) in group {
                    results[index] = try? result.get()
                }
                return results
            }
            #expect(results.count == count)
            #expect(Set(results.values) == Set(1...UInt64(count)))
            let statistics = await queue.statistics
            print("DiskQueueTests: \(count) concurrent appends took \(statistics.dataSyncs) data syncs")
            #expect(statistics.dataSyncs <= UInt64(count / 10))
            let stored = try await queue.records(from: 1)
            #expect(stored.count == count)
            for (index, sequence) in results {
                #expect(stored[Int(sequence) - 1].bytes == Self.reading(index, 0))
            }
            await queue.close()
        }
    }

    @Test func appendReturnsOnlyAfterItsDataSync() async throws {
        try await Self.withDirectory { directory in
            let synced = Highest()
            var configuration = DiskQueueConfiguration(segmentBytes: 1_024)
            configuration.afterDataSync = { through in synced.raise(to: through) }
            let queue = try DiskQueue(directory: directory, configuration: configuration, logger: LogRecorder().logger)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        for index in 0..<50 {
                            let sequence = try await queue.append(Self.reading(writer, index))
                            #expect(synced.value >= sequence, "sequence \(sequence) returned before its sync")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(synced.value == 200)
            await queue.close()
        }
    }

    @Test func acknowledgementDeletesSegmentsAndSurvivesReopen() async throws {
        try await Self.withDirectory { directory in
            let recorder = LogRecorder()
            let configuration = DiskQueueConfiguration(segmentBytes: 512)
            var queue = try DiskQueue(directory: directory, configuration: configuration, logger: recorder.logger)
            for index in 0..<100 {
                try await queue.append(Self.reading(2, index))
            }
            let before = try Self.segmentFiles(directory).count
            try await queue.acknowledge(through: 60)
            try await queue.acknowledge(through: 50)  // older: no effect
            let after = try Self.segmentFiles(directory)
            #expect(after.count < before)
            #expect(after.count == (await queue.statistics).segmentCount)
            await #expect(throws: DiskQueueError.self) { try await queue.acknowledge(through: 101) }
            await queue.close()

            queue = try DiskQueue(directory: directory, configuration: configuration, logger: recorder.logger)
            var statistics = await queue.statistics
            #expect(statistics.firstUnacknowledged == 61)
            #expect(statistics.pendingCount == 40)
            #expect(statistics.pendingBytes == 40 * 40)
            let pending = try await queue.records(from: 1)
            #expect(pending.map(\.sequence) == Array(61...100))
            #expect(pending.first?.bytes == Self.reading(2, 60))

            try await queue.acknowledge(through: 100)
            statistics = await queue.statistics
            #expect(statistics.pendingCount == 0 && statistics.pendingBytes == 0)
            #expect(statistics.segmentCount == 1)
            await queue.close()
            // Everything acknowledged: numbering still continues after a restart.
            queue = try DiskQueue(directory: directory, configuration: configuration, logger: recorder.logger)
            #expect(try await queue.append([7]) == 101)
            #expect(try await queue.records(from: 1).map(\.sequence) == [101])
            await queue.close()
        }
    }

    @Test func tornTailIsTruncatedWithoutLosingEarlierRecords() async throws {
        try await Self.withDirectory { directory in
            let recorder = LogRecorder()
            var queue = try DiskQueue(directory: directory, logger: recorder.logger)
            for index in 0..<10 {
                try await queue.append(Self.reading(3, index))
            }
            await queue.close()
            let segment = directory + "/" + (try #require(try Self.segmentFiles(directory).last))
            let size = try #require(try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int)
            #expect(truncate(segment, off_t(size - 5)) == 0)  // mid-record of the last batch

            queue = try DiskQueue(directory: directory, logger: recorder.logger)
            #expect(try await queue.records(from: 1).map(\.bytes) == (0..<9).map { Self.reading(3, $0) })
            #expect(recorder.messages(atLeast: .warning).contains { $0.contains("torn tail") })
            #expect(try await queue.append(Self.reading(3, 99)) == 10)
            await queue.close()

            // Zeros after the last batch (an extended file whose data never arrived) are a torn tail too.
            let handle = try #require(FileHandle(forWritingAtPath: segment))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(count: 100))
            try handle.close()
            queue = try DiskQueue(directory: directory, logger: recorder.logger)
            #expect(try await queue.records(from: 1).count == 10)
            await queue.close()
        }
    }

    @Test func corruptMiddleIsRefused() async throws {
        try await Self.withDirectory { directory in
            let configuration = DiskQueueConfiguration(segmentBytes: 300)
            let queue = try DiskQueue(directory: directory, configuration: configuration, logger: LogRecorder().logger)
            for index in 0..<20 {
                try await queue.append(Self.reading(4, index))
            }
            await queue.close()
            let segments = try Self.segmentFiles(directory)
            #expect(segments.count >= 3)
            // A flipped byte in the newest segment's first batch, with complete batches after it.
            let newest = directory + "/" + segments[segments.count - 1]
            try Self.flipByte(in: newest, at: 8 + 24 + 10)
            let error = try #require(throws: DiskQueueError.self) {
                try DiskQueue(directory: directory, configuration: configuration, logger: LogRecorder().logger)
            }
            #expect(error.code == .corrupt)
            #expect(error.path == newest)
            try Self.flipByte(in: newest, at: 8 + 24 + 10)

            // Damage in an older segment is never a torn tail.
            let older = directory + "/" + segments[1]
            try Self.flipByte(in: older, at: 8 + 24 + 10)
            let olderError = try #require(throws: DiskQueueError.self) {
                try DiskQueue(directory: directory, configuration: configuration, logger: LogRecorder().logger)
            }
            #expect(olderError.code == .corrupt)
            #expect(olderError.path == older)
            #expect(olderError.description.contains("offset"))
        }
    }

    static func flipByte(in path: String, at offset: Int) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[offset] ^= 0x40
        try data.write(to: URL(fileURLWithPath: path))
    }

    @Test func fullQueueRefusesWithATypedError() async throws {
        try await Self.withDirectory { directory in
            let recorder = LogRecorder()
            let queue = try DiskQueue(
                directory: directory, configuration: DiskQueueConfiguration(maximumBytes: 400), logger: recorder.logger)
            for index in 0..<10 {
                try await queue.append(Self.reading(5, index))
            }
            let error = try await #require(throws: DiskQueueError.self) { try await queue.append(Self.reading(5, 10)) }
            #expect(error.code == .full)
            #expect(error.message.contains("--queue-max-bytes"))
            #expect(recorder.messages(atLeast: .warning).contains { $0.contains("queue full") })
            var statistics = await queue.statistics
            #expect(statistics.refusedAppends == 1 && statistics.pendingCount == 10 && statistics.droppedRecords == 0)
            try await queue.acknowledge(through: 1)
            #expect(try await queue.append(Self.reading(5, 10)) == 11)
            statistics = await queue.statistics
            #expect(statistics.pendingBytes == 400)
            await queue.close()
        }
    }

    @Test func dropOldestPolicyCountsAndLogsEveryDrop() async throws {
        try await Self.withDirectory { directory in
            let recorder = LogRecorder()
            let configuration = DiskQueueConfiguration(maximumBytes: 400, whenFull: .dropOldest, segmentBytes: 200)
            var queue = try DiskQueue(directory: directory, configuration: configuration, logger: recorder.logger)
            for index in 0..<15 {
                try await queue.append(Self.reading(6, index))
            }
            let statistics = await queue.statistics
            #expect(statistics.droppedRecords == 5)
            #expect(statistics.firstUnacknowledged == 6)
            #expect(statistics.pendingBytes == 400)
            #expect(recorder.messages(atLeast: .warning).contains { $0.contains("dropped the oldest") })
            #expect(try await queue.records(from: 1).map(\.sequence) == Array(6...15))
            await queue.close()
            queue = try DiskQueue(directory: directory, configuration: configuration, logger: recorder.logger)
            #expect(try await queue.records(from: 1).map(\.sequence) == Array(6...15))
            await queue.close()
        }
    }

    /// A crash at an arbitrary moment, without a child process: copy the directory's files
    /// while appends are in flight (nothing closed or synced for the copy), open the copy,
    /// and check every append that had returned before the copy began is in it.
    @Test func everyReturnedAppendSurvivesACrashCopy() async throws {
        let temporary = try TemporaryDirectory(prefix: "fog-queue-crash")
        defer { temporary.remove() }
        let directory = temporary.path + "/queue"
        let configuration = DiskQueueConfiguration(linger: .zero, segmentBytes: 4_096)
        let queue = try DiskQueue(directory: directory, configuration: configuration, logger: LogRecorder().logger)
        let returned = Returned()
        let writers = 8
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in 0..<250 {
                        let sequence = try await queue.append(Self.reading(writer, index))
                        returned.add(sequence, Self.reading(writer, index))
                    }
                }
            }
            group.addTask {
                for snapshot in 0..<10 {
                    // Progress, not speed: each append waits for an fsync, slow on a loaded disk.
                    try await waitUntil(timeout: .seconds(60), poll: .milliseconds(1)) {
                        returned.count >= (snapshot + 1) * 180
                    }
                    let durable = returned.snapshot()
                    let copy = temporary.path + "/copy-\(snapshot)"
                    try Self.copyFiles(from: directory, to: copy)
                    let reopened = try DiskQueue(
                        directory: copy, configuration: configuration, logger: LogRecorder().logger)
                    let recovered = try await reopened.records(from: 1)
                    await reopened.close()
                    var bySequence: [UInt64: [UInt8]] = [:]
                    for record in recovered { bySequence[record.sequence] = record.bytes }
                    #expect(recovered.map(\.sequence) == (0..<recovered.count).map { UInt64($0) + 1 })
                    for (sequence, bytes) in durable {
                        #expect(bySequence[sequence] == bytes, "snapshot \(snapshot): sequence \(sequence)")
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(returned.count == writers * 250)
        await queue.close()
    }

    /// Copies regular files one by one, as a crash would leave them (no coordination with
    /// the writer).
    static func copyFiles(from source: String, to destination: String) throws {
        try FileManager.default.createDirectory(
            atPath: destination, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        for name in try FileManager.default.contentsOfDirectory(atPath: source) {
            guard let data = FileManager.default.contents(atPath: source + "/" + name) else { continue }
            _ = FileManager.default.createFile(
                atPath: destination + "/" + name, contents: data, attributes: [.posixPermissions: 0o600])
        }
    }

    @Test func destroyLeavesNoFile() async throws {
        let temporary = try TemporaryDirectory(prefix: "fog-queue-destroy")
        defer { temporary.remove() }
        let directory = temporary.path + "/queue"
        let queue = try DiskQueue(
            directory: directory, configuration: DiskQueueConfiguration(segmentBytes: 200), logger: LogRecorder().logger)
        for index in 0..<20 {
            try await queue.append(Self.reading(7, index))
        }
        try await queue.acknowledge(through: 5)
        try await queue.destroy()
        #expect(!FileManager.default.fileExists(atPath: directory))
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.path).isEmpty)
        await #expect(throws: DiskQueueError.self) { try await queue.append([1]) }
    }

    @Test func secondOpenOfTheSameDirectoryIsRefused() async throws {
        try await Self.withDirectory { directory in
            let queue = try DiskQueue(directory: directory, logger: LogRecorder().logger)
            let error = try #require(throws: DiskQueueError.self) {
                try DiskQueue(directory: directory, logger: LogRecorder().logger)
            }
            #expect(error.code == .locked)
            await queue.close()
            let again = try DiskQueue(directory: directory, logger: LogRecorder().logger)
            await again.close()
        }
    }

    @Test func waitForRecordsReturnsOnceARecordIsDurable() async throws {
        try await Self.withDirectory { directory in
            let queue = try DiskQueue(directory: directory, logger: LogRecorder().logger)
            try await queue.append([1])
            await queue.waitForRecords(after: 0)  // already there: returns at once
            async let woken: Void = queue.waitForRecords(after: 1)
            try await queue.append([2])
            await woken
            #expect((await queue.statistics).nextSequence == 3)
            let waiter = Task { await queue.waitForRecords(after: 2) }
            waiter.cancel()
            await waiter.value
            await queue.close()
        }
    }
}

/// Appends that have returned, with their payloads, shared by the crash test's tasks.
private final class Returned: Sendable {
    private let state = Mutex<[UInt64: [UInt8]]>([:])

    var count: Int { state.withLock { $0.count } }

    func add(_ sequence: UInt64, _ bytes: [UInt8]) {
        state.withLock { $0[sequence] = bytes }
    }

    func snapshot() -> [UInt64: [UInt8]] {
        state.withLock { $0 }
    }
}

/// The highest sequence a data sync has covered, written on the commit thread.
private final class Highest: Sendable {
    private let state = Mutex<UInt64>(0)

    var value: UInt64 { state.withLock { $0 } }

    func raise(to sequence: UInt64) {
        state.withLock { $0 = max($0, sequence) }
    }
}
