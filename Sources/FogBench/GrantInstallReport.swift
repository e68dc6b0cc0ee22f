/// Scenario (b)'s results: per broker, ComSat's growth of per-grant cost, and how long
/// dynamic security took for the same grants.
public struct GrantInstallReport: Sendable {
    /// The goal of issue 3: the last `sampleSize` grants cost at most this many times the
    /// first `sampleSize`.
    public static let growthGoal = 1.5

    public let configuration: GrantInstallConfiguration
    let comsat: GrantInstallRun?
    let dynsec: GrantInstallRun?

    /// One-minute load average before and after the scenario.
    let load: (before: Double?, after: Double?)

    init(
        configuration: GrantInstallConfiguration, comsat: GrantInstallRun?, dynsec: GrantInstallRun?,
        load: (before: Double?, after: Double?)
    ) {
        self.configuration = configuration
        self.comsat = comsat
        self.dynsec = dynsec
        self.load = load
    }

    /// ComSat's per-grant cost of the last sample over that of the first.
    public var comsatGrowth: Double? {
        comsat.flatMap(growth)
    }

    public var summary: String {
        let sample = configuration.sampleSize
        var rows: [[String]] = [[
            "", "grants", "batches", "total s", "first \(sample) µs/grant", "last \(sample) µs/grant", "last/first",
            "last/first batch", "refused", "store bytes",
        ]]
        for run in [comsat, dynsec].compactMap({ $0 }) {
            rows.append([
                run.name,
                String(run.installed) + (run.stoppedEarly ? " (budget)" : ""),
                String(run.batches.count),
                format(run.totalSeconds, 3),
                run.firstCost(sample).map { format($0 * 1e6, 1) } ?? "?",
                run.lastCost(sample).map { format($0 * 1e6, 1) } ?? "?",
                growth(run).map { format($0, 2) } ?? "?",
                run.lastBatchOverFirst.map { format($0, 2) } ?? "?",
                String(run.refused),
                run.storageBytes.map(String.init) ?? "?",
            ])
        }
        var text = "comsat-grants: \(configuration.grants) link-half grants, \(configuration.batchSize) per control message\n"
        text += Table.render(rows)
        if let comsatGrowth {
            text += "ComSat last/first per-grant cost \(format(comsatGrowth, 2)) (goal <= \(format(Self.growthGoal, 1))): "
                + (comsatGrowth <= Self.growthGoal ? "met" : "NOT met") + "\n"
        }
        if let slowdown = dynsecOverComsat {
            text += "dynamic security took \(format(slowdown, 1))x ComSat's time for the same \(dynsec?.installed ?? 0) grants\n"
        }
        return text
    }

    public var resultLine: String {
        var fields: [(String, ResultJSON)] = [
            ("scenario", .string("comsat-grants")),
            ("grants", .integer(configuration.grants)),
            ("batch_size", .integer(configuration.batchSize)),
            ("sample", .integer(configuration.sampleSize)),
            ("comsat", comsat.map(json) ?? .null),
            ("dynsec", dynsec.map(json) ?? .null),
            ("dynsec_time_over_comsat_same_grants", .number(dynsecOverComsat, 2)),
            ("load_1m_before", .number(load.before, 2)),
            ("load_1m_after", .number(load.after, 2)),
        ]
        if let comsatGrowth {
            fields.append(("goal_growth_max", .number(Self.growthGoal, decimals: 1)))
            fields.append(("goal_met", .bool(comsatGrowth <= Self.growthGoal && comsat?.refused == 0)))
        }
        return "RESULT " + ResultJSON.object(fields).description
    }

    /// Dynamic security's time over ComSat's for the grants dynamic security installed
    /// (ComSat's first that many), so a budget-limited run still compares like with like.
    private var dynsecOverComsat: Double? {
        guard let comsat, let dynsec, dynsec.installed > 0,
              let comsatCost = comsat.firstCost(dynsec.installed), comsatCost > 0
        else { return nil }
        return dynsec.totalSeconds / (comsatCost * Double(dynsec.installed))
    }

    private func growth(_ run: GrantInstallRun) -> Double? {
        guard let first = run.firstCost(configuration.sampleSize), let last = run.lastCost(configuration.sampleSize),
              first > 0, run.installed >= 2 * configuration.sampleSize
        else { return nil }
        return last / first
    }

    private func json(_ run: GrantInstallRun) -> ResultJSON {
        let sample = configuration.sampleSize
        return .object([
            ("installed", .integer(run.installed)),
            ("stopped_early", .bool(run.stoppedEarly)),
            ("batches", .integer(run.batches.count)),
            ("total_s", .number(run.totalSeconds, decimals: 3)),
            ("grants_per_s", .number(run.totalSeconds > 0 ? Double(run.installed) / run.totalSeconds : nil, 1)),
            ("first_us_per_grant", .number(run.firstCost(sample).map { $0 * 1e6 }, 2)),
            ("last_us_per_grant", .number(run.lastCost(sample).map { $0 * 1e6 }, 2)),
            ("last_over_first", .number(growth(run), 3)),
            ("last_batch_over_first_batch", .number(run.lastBatchOverFirst, 3)),
            ("refused", .integer(run.refused)),
            ("first_refusal", run.firstRefusal.map(ResultJSON.string) ?? .null),
            ("storage_bytes", run.storageBytes.map(ResultJSON.integer) ?? .null),
            ("broker_reports_grants", run.installedCount.map(ResultJSON.integer) ?? .null),
            ("batch_s", .array(run.batches.map { .number($0.seconds, decimals: 4) })),
        ])
    }
}
