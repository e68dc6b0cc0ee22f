import FogCore
import FogTestSupport
import Testing

@testable import ComSatPlugin

@Suite struct GrantStoreTests {
    private static let reserved = GrantStore.Reserved(username: Array("controller".utf8), clientID: Array("controller".utf8))

    private static func open(_ directory: TemporaryDirectory, capacity: Int = 1_000_000) throws -> GrantStore {
        try GrantStore.open(
            path: directory.path + "/grants.journal", reserved: reserved, capacity: capacity, hashSeed: 0x5EED
        ).store
    }

    private static func lookup(_ store: GrantStore, _ username: String) -> GrantRecord? {
        Array(username.utf8).withUnsafeBytes { store.record(username: $0) }
    }

    /// Thousands of inserts and removals: every lookup stays right (the index shifts entries
    /// back on removal), the digest tracks the live set, the journal stays bounded by
    /// compaction, and a reopened store is identical.
    @Test func churnKeepsLookupsDigestAndJournalConsistent() throws {
        let directory = try TemporaryDirectory(prefix: "comsat-store")
        defer { directory.remove() }
        var live: [String: Grant] = [:]
        var removed: [String] = []
        do {
            let store = try Self.open(directory)
            defer { store.journal.close() }
            var random = SeededGenerator(seed: 7)
            for round in 0..<40 {
                let batch = (0..<100).map { _ in TestLink().a.grant }
                for grant in batch {
                    #expect(store.add(grant).result == .added)
                    live[grant.username] = grant
                }
                // Remove a random third of what is live.
                for username in live.keys.shuffled(using: &random).prefix(live.count / 3) {
                    #expect(store.remove(username: username).result == .removed)
                    live[username] = nil
                    removed.append(username)
                }
                _ = try store.commit()
                #expect(store.count == live.count, "round \(round)")
            }
            #expect(store.journal.compactions > 0)
            #expect(store.journal.fileSize <= 2 * store.journal.liveBytes + GrantJournal.compactionSlack)
            for (username, grant) in live {
                #expect(Self.lookup(store, username)?.grant == grant)
            }
            for username in removed {
                #expect(Self.lookup(store, username) == nil)
            }
            #expect(store.setDigest == (try GrantSetDigest(live.values)))
            #expect(store.pendingSweepCount == removed.count)
        }
        let reopened = try Self.open(directory)
        defer { reopened.journal.close() }
        #expect(reopened.count == live.count)
        #expect(reopened.setDigest == (try GrantSetDigest(live.values)))
        #expect(reopened.pendingSweepCount == removed.count)
        for username in removed.prefix(50) {
            #expect(Self.lookup(reopened, username) == nil)
        }
    }

    @Test func replaceAllHandsATopicFromOnePrincipalToAnotherInAnyOrder() throws {
        let directory = try TemporaryDirectory(prefix: "comsat-store")
        defer { directory.remove() }
        let store = try Self.open(directory)
        defer { store.journal.close() }
        let first = TestPrincipal.agent().grant
        var second = TestPrincipal.agent().grant
        #expect(store.add(first).result == .added)
        #expect(store.add(second).result == .added)

        // The controller moved `first`'s command topic to `second` (listed first) and gave
        // `first` a new one.
        var movedFirst = first
        movedFirst.subscribeTopics = [ComSatTopic.topic(.agentCommand, OpaqueID())]
        second.subscribeTopics = first.subscribeTopics
        let (outcomes, removedCount) = store.replaceAll(with: [second, movedFirst])
        #expect(outcomes.map(\.result) == [.replaced, .replaced])
        #expect(removedCount == 0)
        #expect(store.setDigest == (try GrantSetDigest([second, movedFirst])))
    }

    @Test func capacityAndReservedNamesAreEnforced() throws {
        let directory = try TemporaryDirectory(prefix: "comsat-store")
        defer { directory.remove() }
        let store = try Self.open(directory, capacity: 2)
        defer { store.journal.close() }
        var controllerLike = TestPrincipal.agent().grant
        controllerLike.clientID = "controller"
        #expect(store.add(controllerLike).result == .conflict)
        #expect(store.add(TestPrincipal.agent().grant).result == .added)
        #expect(store.add(TestPrincipal.agent().grant).result == .added)
        #expect(store.add(TestPrincipal.agent().grant).result == .capacityExceeded)
    }
}
