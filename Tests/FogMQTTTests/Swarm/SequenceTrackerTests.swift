import FogMQTT
import Testing

@Suite struct SequenceTrackerTests {
    @Test func countsLossDuplicatesAndReordering() {
        var tracker = SequenceTracker()
        for sequence in [0, 1, 2, 4, 3, 4, 7, 1] as [UInt64] {
            tracker.record(sequence)
        }
        #expect(tracker.received == 6)  // 0 1 2 3 4 7
        #expect(tracker.duplicates == 2)  // the second 4 and 1
        #expect(tracker.outOfOrder == 1)  // 3 after 4
        #expect(tracker.nextExpected == 8)
        #expect(tracker.lost(sent: 8) == 2)  // 5 and 6
    }

    @Test func classifiesEachArrival() {
        var tracker = SequenceTracker(maximumSequence: 1_000)
        #expect(tracker.record(999) == .new)
        #expect(tracker.record(999) == .duplicate)
        #expect(tracker.record(1_000) == .invalid)
        #expect(tracker.invalid == 1)
        #expect(tracker.received == 1)
    }

    @Test func growsAcrossManyWords() {
        var tracker = SequenceTracker()
        for sequence in stride(from: UInt64(0), to: 100_000, by: 2) {
            tracker.record(sequence)
        }
        #expect(tracker.received == 50_000)
        #expect(tracker.lost(sent: 100_000) == 50_000)
        #expect(tracker.record(64) == .duplicate)
        #expect(tracker.record(65) == .new)
    }
}
