import Foundation
import FogTestSupport
import Testing

@testable import ComSatPlugin

@Suite struct GrantJournalTests {
    /// A journal in a fresh directory, removed with the directory.
    private struct Fixture {
        let directory: String
        var path: String { directory + "/grants.journal" }

        init() throws {
            let base = FileManager.default.temporaryDirectory.path
            directory = base + "/comsat-journal-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }

        func bytes() throws -> [UInt8] {
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        }

        func write(_ bytes: [UInt8]) throws {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }

        func remove() {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    private static func marker(_ name: String) -> [UInt8] {
        Array("MARKER-\(name)-MARKER".utf8)
    }

    @Test func committedRecordsSurviveReopening() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        do {
            let (journal, contents) = try GrantJournal.open(path: fixture.path)
            #expect(contents.records.isEmpty)
            _ = journal.stage(.grant, Self.marker("one"))
            _ = journal.stage(.sweepPending, Self.marker("two"))
            journal.stageWatermark(1_234)
            try journal.commit()
            _ = journal.stage(.linkOptIn, Self.marker("three"))
            try journal.commit()
            journal.close()
        }
        let (journal, contents) = try GrantJournal.open(path: fixture.path)
        defer { journal.close() }
        #expect(contents.records.map(\.payload) == [Self.marker("one"), Self.marker("two"), Self.marker("three")])
        #expect(contents.records.map(\.kind) == [.grant, .sweepPending, .linkOptIn])
        #expect(journal.watermark == 1_234)
        #expect(contents.notes.isEmpty)
    }

    @Test func stagedButUncommittedRecordsAreNotOnDisk() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (journal, _) = try GrantJournal.open(path: fixture.path)
        _ = journal.stage(.grant, Self.marker("staged"))
        #expect(!(try fixture.bytes()).containsRun(Self.marker("staged")))
        try journal.commit()
        #expect((try fixture.bytes()).containsRun(Self.marker("staged")))
        journal.close()
    }

    @Test func erasureLeavesNoBytesOfTheRemovedRecord() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (journal, _) = try GrantJournal.open(path: fixture.path)
        let kept = journal.stage(.grant, Self.marker("kept"))
        let removed = journal.stage(.grant, Self.marker("removed"))
        try journal.commit()
        #expect((try fixture.bytes()).containsRun(Self.marker("removed")))
        journal.stageErasure(of: removed)
        try journal.commit()
        let bytes = try fixture.bytes()
        #expect(!bytes.containsRun(Self.marker("removed")))
        #expect(bytes.containsRun(Self.marker("kept")))
        journal.close()

        let (reopened, contents) = try GrantJournal.open(path: fixture.path)
        defer { reopened.close() }
        #expect(contents.records.map(\.location) == [kept])
    }

    @Test func compactionKeepsLiveRecordsAndDropsDeadOnes() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (journal, _) = try GrantJournal.open(path: fixture.path)
        var live: [(kind: JournalRecordKind, payload: [UInt8])] = []
        // Churn: each batch adds a grant and removes the previous one, so dead bytes pile up.
        var previous: JournalLocation?
        var batches = 0
        while !journal.needsCompaction {
            let payload = Self.marker("churn-\(batches)") + [UInt8](repeating: 0x41, count: 512)
            let location = journal.stage(.grant, payload)
            if let previous { journal.stageErasure(of: previous) }
            try journal.commit()
            previous = location
            live = [(.grant, payload)]
            batches += 1
        }
        #expect(batches > 10)
        journal.stageWatermark(99)
        try journal.commit()
        let sizeBefore = journal.fileSize
        let locations = try journal.compact(live)
        #expect(journal.fileSize < sizeBefore / 10)
        #expect(!journal.needsCompaction)
        #expect(journal.compactions == 1)
        #expect(!(try fixture.bytes()).containsRun(Self.marker("churn-0")))
        #expect(!FileManager.default.fileExists(atPath: GrantJournal.compactionPath(for: fixture.path)))

        // New records append after the compacted content, and locations stay valid.
        _ = journal.stage(.sweepPending, Self.marker("after"))
        journal.stageErasure(of: locations[0])
        try journal.commit()
        journal.close()
        let (reopened, contents) = try GrantJournal.open(path: fixture.path)
        defer { reopened.close() }
        #expect(contents.records.map(\.payload) == [Self.marker("after")])
        #expect(reopened.watermark == 99)
    }

    @Test func tornTailIsTruncatedToTheLastCommit() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let committedSize: Int
        do {
            let (journal, _) = try GrantJournal.open(path: fixture.path)
            _ = journal.stage(.grant, Self.marker("durable"))
            try journal.commit()
            committedSize = Int(journal.fileSize)
            _ = journal.stage(.grant, Self.marker("torn") + [UInt8](repeating: 7, count: 300))
            try journal.commit()
            journal.close()
        }
        // Cut the second batch in the middle of its record, as a crash during write would.
        let full = try fixture.bytes()
        try fixture.write(Array(full[0..<(committedSize + 150)]))

        let (journal, contents) = try GrantJournal.open(path: fixture.path)
        #expect(contents.records.map(\.payload) == [Self.marker("durable")])
        #expect(contents.notes.contains { $0.contains("dropped 150 bytes") })
        #expect(journal.fileSize == UInt64(committedSize))
        #expect(try fixture.bytes().count == committedSize)
        // The journal keeps working after the repair.
        _ = journal.stage(.grant, Self.marker("next"))
        try journal.commit()
        journal.close()
        let (reopened, again) = try GrantJournal.open(path: fixture.path)
        defer { reopened.close() }
        #expect(again.records.map(\.payload) == [Self.marker("durable"), Self.marker("next")])
        #expect(again.notes.isEmpty)
    }

    @Test func holeInTheLastBatchBeforeItsCommitIsATornTail() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let committedSize: Int
        do {
            let (journal, _) = try GrantJournal.open(path: fixture.path)
            _ = journal.stage(.grant, Self.marker("durable"))
            try journal.commit()
            committedSize = Int(journal.fileSize)
            _ = journal.stage(.grant, [UInt8](repeating: 9, count: 600))
            _ = journal.stage(.grant, Self.marker("behind-hole"))
            try journal.commit()
            journal.close()
        }
        // Writeback persisted the batch's end (with its commit) but not a page in its middle.
        var bytes = try fixture.bytes()
        for index in (committedSize + 100)..<(committedSize + 400) { bytes[index] = 0 }
        try fixture.write(bytes)

        let (journal, contents) = try GrantJournal.open(path: fixture.path)
        defer { journal.close() }
        #expect(contents.records.map(\.payload) == [Self.marker("durable")])
        #expect(!contents.notes.isEmpty)
    }

    @Test func damageBeforeLaterBatchesRefusesToOpen() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        do {
            let (journal, _) = try GrantJournal.open(path: fixture.path)
            for index in 0..<3 {
                _ = journal.stage(.grant, Self.marker("batch-\(index)"))
                try journal.commit()
            }
            journal.close()
        }
        var bytes = try fixture.bytes()
        let target = Array(Self.marker("batch-0"))
        let start = try #require((0...(bytes.count - target.count)).first { bytes[$0..<($0 + target.count)].elementsEqual(target) })
        bytes[start + 3] ^= 0x20
        try fixture.write(bytes)

        #expect {
            _ = try GrantJournal.open(path: fixture.path)
        } throws: { error in
            guard let error = error as? StorageError else { return false }
            return error.code == .corrupt && error.message.contains("refusing to start")
        }
    }

    @Test func interruptedWipeIsCompletedOnOpen() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let target: JournalLocation
        do {
            let (journal, _) = try GrantJournal.open(path: fixture.path)
            target = journal.stage(.grant, Self.marker("wipe-me") + [UInt8](repeating: 5, count: 100))
            try journal.commit()
            journal.stageErasure(of: target)
            try journal.commit()
            journal.close()
        }
        // Put the record back half-wiped: its original bytes with a zeroed stretch, which is
        // what a crash in the middle of the in-place wipe leaves.
        var original: [UInt8] = []
        GrantJournal.appendRecord(.grant, Self.marker("wipe-me") + [UInt8](repeating: 5, count: 100), to: &original, at: target.offset)
        var bytes = try fixture.bytes()
        for (index, byte) in original.enumerated() where index < 4 || index >= 40 {
            bytes[Int(target.offset) + index] = byte
        }
        try fixture.write(bytes)
        #expect((try fixture.bytes()).containsRun([5, 5, 5, 5]))

        let (journal, contents) = try GrantJournal.open(path: fixture.path)
        defer { journal.close() }
        #expect(contents.records.isEmpty)
        #expect(contents.notes.contains { $0.contains("completed 1 interrupted erasures") })
        #expect(!(try fixture.bytes()).containsRun([5, 5, 5, 5]))
    }

    @Test func aSecondOpenerIsRefusedWhileTheFirstHoldsTheLock() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        let (journal, _) = try GrantJournal.open(path: fixture.path)
        defer { journal.close() }
        #expect {
            _ = try GrantJournal.open(path: fixture.path)
        } throws: { error in
            (error as? StorageError)?.code == .locked
        }
    }

    @Test func aForeignFileIsNotOverwritten() throws {
        let fixture = try Fixture()
        defer { fixture.remove() }
        try fixture.write(Array("password_file contents\n".utf8))
        #expect {
            _ = try GrantJournal.open(path: fixture.path)
        } throws: { error in
            (error as? StorageError)?.code == .invalidContent
        }
        #expect(try fixture.bytes() == Array("password_file contents\n".utf8))
    }
}
