/// Everything scenario (a) measured on one broker.
struct DataPathRun: Sendable {
    /// "bare" or "comsat".
    var name: String
    var closedLoop: TrafficPhaseResult
    var openLoop: TrafficPhaseResult
    /// The open-loop phase's offered rate, messages per second.
    var openLoopRate: Double
    var totals: PairTraffic.Totals
    /// Seconds to connect and subscribe every pair.
    var setupSeconds: Double
    /// Seconds to install the pairs' grants before connecting; nil without a plugin.
    var grantSeconds: Double?
}

extension DataPathRun {
    /// The rounds of one broker as one run: phases pooled, totals summed, set-up times
    /// averaged.
    static func pooled(_ runs: [DataPathRun]) -> DataPathRun? {
        guard let first = runs.first,
              let closedLoop = TrafficPhaseResult.pooled(runs.map(\.closedLoop)),
              let openLoop = TrafficPhaseResult.pooled(runs.map(\.openLoop))
        else { return nil }
        var totals = PairTraffic.Totals()
        for run in runs {
            totals.add(run.totals)
        }
        let grantTimes = runs.compactMap(\.grantSeconds)
        return DataPathRun(
            name: first.name,
            closedLoop: closedLoop,
            openLoop: openLoop,
            openLoopRate: first.openLoopRate,
            totals: totals,
            setupSeconds: runs.reduce(0) { $0 + $1.setupSeconds } / Double(runs.count),
            grantSeconds: grantTimes.isEmpty ? nil : grantTimes.reduce(0, +) / Double(grantTimes.count)
        )
    }
}
