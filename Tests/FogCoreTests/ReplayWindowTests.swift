import FogCore
import Testing
import FogTestSupport

@Suite struct ReplayWindowTests {
    let sender = OpaqueID()
    let start = Timestamp(millisecondsSinceEpoch: 1_000_000)
    let lifetime = Duration.seconds(10)

    @Test func remembersANonceUntilItsTimestampLeavesTheWindow() throws {
        var window = ReplayWindow(capacity: 10, lifetime: lifetime)
        let nonce = EnvelopeNonce()
        try window.record(sender: sender, nonce: nonce, timestamp: start, now: start)
        #expect(window.count == 1)
        expectEnvelopeError(.replayed) {
            try window.check(sender: sender, nonce: nonce, timestamp: start, now: start.advanced(by: lifetime))
        }
        // The same nonce from another sender is a different envelope.
        try window.record(sender: OpaqueID(), nonce: nonce, timestamp: start, now: start)
        #expect(window.count == 2)

        // Once the timestamp is older than the lifetime, the entry is swept; such an envelope
        // is stale anyway, and the window says so rather than "replayed".
        let later = start.advanced(by: lifetime + .milliseconds(1))
        expectEnvelopeError(.stale) { try window.check(sender: sender, nonce: nonce, timestamp: start, now: later) }
        #expect(window.count == 0)
    }

    @Test func refusesWhenFullOfLiveNoncesInsteadOfForgetting() throws {
        var window = ReplayWindow(capacity: 3, lifetime: lifetime)
        let nonces = (0..<3).map { _ in EnvelopeNonce() }
        for nonce in nonces {
            try window.record(sender: sender, nonce: nonce, timestamp: start, now: start)
        }
        let error = expectEnvelopeError(.replayWindowFull) {
            try window.record(sender: sender, nonce: EnvelopeNonce(), timestamp: start, now: start)
        }
        #expect(error?.message.contains("3 live nonces") == true)
        for nonce in nonces {
            expectEnvelopeError(.replayed) {
                try window.check(sender: sender, nonce: nonce, timestamp: start, now: start)
            }
        }
        #expect(window.count == 3)
    }

    @Test func evictsOnlyExpiredEntriesWhenFull() throws {
        var window = ReplayWindow(capacity: 3, lifetime: lifetime)
        let early = EnvelopeNonce()
        let live = [EnvelopeNonce(), EnvelopeNonce()]
        try window.record(sender: sender, nonce: early, timestamp: start, now: start)
        let liveTime = start.advanced(by: .seconds(5))
        for nonce in live {
            try window.record(sender: sender, nonce: nonce, timestamp: liveTime, now: liveTime)
        }
        // 11 s after `start`: the first entry has expired, the other two have not.
        let now = start.advanced(by: .seconds(11))
        try window.record(sender: sender, nonce: EnvelopeNonce(), timestamp: now, now: now)
        #expect(window.count == 3)
        for nonce in live {
            expectEnvelopeError(.replayed) { try window.check(sender: sender, nonce: nonce, timestamp: liveTime, now: now) }
        }
        expectEnvelopeError(.replayWindowFull) {
            try window.record(sender: sender, nonce: EnvelopeNonce(), timestamp: now, now: now)
        }
    }

    /// After the wall clock steps back, an envelope the window may already have forgotten
    /// is refused even though the stepped-back clock would call it fresh.
    @Test func staysSafeWhenTheClockStepsBack() throws {
        var window = ReplayWindow(capacity: 10, lifetime: lifetime)
        let nonce = EnvelopeNonce()
        try window.record(sender: sender, nonce: nonce, timestamp: start, now: start)
        let future = start.advanced(by: .seconds(60))
        try window.record(sender: sender, nonce: EnvelopeNonce(), timestamp: future, now: future)
        #expect(window.count == 1, "the first entry was swept")
        #expect(window.horizon == start.advanced(by: .seconds(50)))
        expectEnvelopeError(.stale) { try window.check(sender: sender, nonce: nonce, timestamp: start, now: start) }
    }

    /// Against a brute-force model: with random timestamps and a moving clock, the window
    /// holds exactly the entries whose timestamp is still within the lifetime.
    @Test func sweepsExactlyTheExpiredEntries() throws {
        let seed: UInt64 = 0xC0FFEE
        var generator = SeededGenerator(seed: seed)
        var window = ReplayWindow(capacity: 100_000, lifetime: lifetime)
        var model: [(EnvelopeNonce, UInt64)] = []
        var now = start.millisecondsSinceEpoch
        for _ in 0..<3_000 {
            now += UInt64.random(in: 0...40, using: &generator)
            let timestamp = now - UInt64.random(in: 0...10_000, using: &generator)
            let nonce = EnvelopeNonce()
            try window.record(
                sender: sender, nonce: nonce, timestamp: Timestamp(millisecondsSinceEpoch: timestamp),
                now: Timestamp(millisecondsSinceEpoch: now))
            model.append((nonce, timestamp))
            model.removeAll { $0.1 + 10_000 < now }
            #expect(window.count == model.count, "seed \(seed)")
        }
        for (nonce, timestamp) in model {
            expectEnvelopeError(.replayed) {
                try window.check(
                    sender: sender, nonce: nonce, timestamp: Timestamp(millisecondsSinceEpoch: timestamp),
                    now: Timestamp(millisecondsSinceEpoch: now))
            }
        }
    }
}
