/// One phase of `comsat-grants` on one broker, installing or removing grants: the control
/// messages it sent, each with how many grants it carried and how long until its answer.
struct GrantPhase: Sendable {
    struct Batch: Sendable {
        var grants: Int
        /// Grants on the broker when the batch was sent: the x of the per-grant cost series.
        var heldBefore: Int
        /// Publishing the command until its answer, plus `sweepSeconds`.
        var seconds: Double
        /// Of `seconds`, the session sweeps that follow a ComSat removal (0 otherwise).
        var sweepSeconds: Double = 0
    }

    var batches: [Batch] = []
    /// Items the broker answered with an error.
    var refused = 0
    var firstRefusal: String?
    /// Whether the time budget ended the phase before every batch was sent.
    var stoppedEarly = false

    var grants: Int { batches.reduce(0) { $0 + $1.grants } }
    var totalSeconds: Double { batches.reduce(0) { $0 + $1.seconds } }
    var sweepSeconds: Double { batches.reduce(0) { $0 + $1.sweepSeconds } }
    var grantsPerSecond: Double? { totalSeconds > 0 ? Double(grants) / totalSeconds : nil }

    mutating func record(_ batch: Batch, refused: Int, firstRefusal: String?) {
        batches.append(batch)
        self.refused += refused
        if self.firstRefusal == nil, let firstRefusal {
            self.firstRefusal = "batch at \(batch.heldBefore) held: \(firstRefusal)"
        }
    }

    /// Mean seconds per grant over the first `count` grants of the phase.
    func firstCost(_ count: Int) -> Double? {
        cost(of: batches, count)
    }

    /// Mean seconds per grant over the last `count` grants of the phase.
    func lastCost(_ count: Int) -> Double? {
        cost(of: batches.reversed(), count)
    }

    /// Mean seconds per grant over this phase's batches sent at the same store sizes as
    /// `other`'s (same batch size): like with like when `other` stopped at its budget.
    func cost(matching other: GrantPhase) -> Double? {
        let sizes = Set(other.batches.map(\.heldBefore))
        let matching = batches.filter { sizes.contains($0.heldBefore) }
        let grants = matching.reduce(0) { $0 + $1.grants }
        guard grants > 0, grants == other.grants else { return nil }
        return matching.reduce(0) { $0 + $1.seconds } / Double(grants)
    }

    /// Per-grant cost of the last batch over that of the first; nil with fewer than two.
    var lastBatchOverFirst: Double? {
        guard batches.count >= 2, let first = batches.first, let last = batches.last,
              first.grants > 0, last.grants > 0, first.seconds > 0
        else { return nil }
        return (last.seconds / Double(last.grants)) / (first.seconds / Double(first.grants))
    }

    /// `[grants held before the batch, µs per grant]` per batch, for a chart.
    var seriesJSON: ResultJSON {
        .array(batches.map { batch in
            .array([.integer(batch.heldBefore), .number(batch.seconds * 1e6 / Double(max(batch.grants, 1)), decimals: 1)])
        })
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
