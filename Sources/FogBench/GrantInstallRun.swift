/// Everything scenario (b) measured on one broker.
struct GrantInstallRun: Sendable {
    /// One control message: how many grants it carried and how long until its answer.
    struct Batch: Sendable {
        var grants: Int
        var seconds: Double
    }

    /// "comsat" or "dynsec".
    var name: String
    /// Grants requested.
    var requested: Int
    var batches: [Batch]
    /// Items the broker answered with an error.
    var refused: Int
    var firstRefusal: String?
    /// Whether the time budget ended the run before every batch was sent.
    var stoppedEarly: Bool
    /// Bytes of the broker's grant storage afterwards (journal or JSON file).
    var storageBytes: Int?
    /// What the broker reported holding afterwards, when it can say (ComSat's digest).
    var installedCount: Int?

    var installed: Int { batches.reduce(0) { $0 + $1.grants } }
    var totalSeconds: Double { batches.reduce(0) { $0 + $1.seconds } }

    /// Mean seconds per grant over the first `count` installed grants.
    func firstCost(_ count: Int) -> Double? {
        cost(of: batches, count)
    }

    /// Mean seconds per grant over the last `count` installed grants.
    func lastCost(_ count: Int) -> Double? {
        cost(of: batches.reversed(), count)
    }

    /// Per-grant cost of the last batch over that of the first; nil with fewer than two.
    var lastBatchOverFirst: Double? {
        guard batches.count >= 2, let first = batches.first, let last = batches.last,
              first.grants > 0, last.grants > 0, first.seconds > 0
        else { return nil }
        return (last.seconds / Double(last.grants)) / (first.seconds / Double(first.grants))
    }

    /// Whole batches from the front of `batches` until they cover `count` grants.
    private func cost(of batches: some Sequence<Batch>, _ count: Int) -> Double? {
        var grants = 0
        var seconds = 0.0
        for batch in batches where grants < count {
            grants += batch.grants
            seconds += batch.seconds
        }
        guard grants >= count, grants > 0 else { return nil }
        return seconds / Double(grants)
    }
}
