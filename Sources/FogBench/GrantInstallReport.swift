/// `comsat-grants`' results: per broker and phase (install, removal), throughput and the
/// growth of per-grant cost; and each phase of ComSat against dynamic security over the
/// same grants.
public struct GrantInstallReport: Sendable {
    /// The goal of issue 3: the last `sampleSize` grants cost at most this many times the
    /// first `sampleSize`.
    public static let growthGoal = 1.5
    static let baselineName = "Mosquitto dynamic security"

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

    /// ComSat's per-grant install cost of the last sample over that of the first.
    public var comsatGrowth: Double? {
        comsat.flatMap { growth($0.install) }
    }

    public var summary: String {
        let sample = configuration.sampleSize
        var rows: [[String]] = [[
            "", "phase", "grants", "batches", "total s", "grants/s", "first \(sample) µs/grant", "last \(sample) µs/grant",
            "last/first", "last/first batch", "refused",
        ]]
        for run in [comsat, dynsec].compactMap({ $0 }) {
            for (name, phase) in [("install", run.install), ("remove", run.removal)] {
                rows.append([
                    run.name, name,
                    String(phase.grants) + (phase.stoppedEarly ? " (budget)" : ""),
                    String(phase.batches.count),
                    format(phase.totalSeconds, 3),
                    phase.grantsPerSecond.map { format($0, 0) } ?? "?",
                    phase.firstCost(sample).map { format($0 * 1e6, 1) } ?? "?",
                    phase.lastCost(sample).map { format($0 * 1e6, 1) } ?? "?",
                    growth(phase).map { format($0, 2) } ?? "?",
                    phase.lastBatchOverFirst.map { format($0, 2) } ?? "?",
                    String(phase.refused),
                ])
            }
        }
        var text = "comsat-grants: \(configuration.grants) link-half grants installed then removed, "
            + "\(configuration.batchSize) per control message\n"
        text += Table.render(rows)
        if let comsat {
            text += "ComSat: removal includes \(format(comsat.removal.sweepSeconds, 3)) s of session sweeps; "
                + "journal \(comsat.storageBytes.map(String.init) ?? "?") bytes after installing; holds "
                + "\(comsat.heldAfterInstall.map(String.init) ?? "?") then \(comsat.heldAfterRemoval.map(String.init) ?? "?") grants\n"
        }
        if let dynsec {
            text += "dynamic security: JSON file \(dynsec.storageBytes.map(String.init) ?? "?") bytes after installing\n"
        }
        if let comsatGrowth {
            text += "ComSat install last/first per-grant cost \(format(comsatGrowth, 2)) (goal <= \(format(Self.growthGoal, 1))): "
                + (comsatGrowth <= Self.growthGoal ? "met" : "NOT met") + "\n"
        }
        for (name, phase) in [("install", \GrantInstallRun.install), ("removal", \GrantInstallRun.removal)] {
            if let slowdown = dynsecOverComsat(phase), let dynsec {
                text += "\(name): dynamic security took \(format(slowdown, 1))x ComSat's time for the same "
                    + "\(dynsec[keyPath: phase].grants) grants\n"
            }
        }
        return text
    }

    /// The figures `tools/bench` charts: ComSat's rates over the grants dynamic security
    /// reached, against dynamic security's; ComSat's rates over all grants; its cost growth.
    public var headlines: [Headline] {
        guard let comsat else { return [] }
        let baseline = dynsec == nil ? nil : Self.baselineName
        var headlines = [
            Headline(
                "grant install rate, same grants as baseline", value: sameGrantsRate(\.install).comsat, unit: "grants/s",
                baseline: baseline, baselineValue: sameGrantsRate(\.install).dynsec),
            Headline(
                "grant removal rate incl. sweeps, same grants as baseline", value: sameGrantsRate(\.removal).comsat,
                unit: "grants/s", baseline: baseline, baselineValue: sameGrantsRate(\.removal).dynsec),
            Headline("grant install rate, all \(comsat.install.grants) grants", value: comsat.install.grantsPerSecond, unit: "grants/s"),
            Headline(
                "grant removal rate incl. sweeps, all \(comsat.removal.grants) grants", value: comsat.removal.grantsPerSecond,
                unit: "grants/s"),
        ]
        if let comsatGrowth {
            headlines.append(Headline(
                "install cost per grant, last \(configuration.sampleSize) / first \(configuration.sampleSize)", value: comsatGrowth,
                unit: "x", decimals: 3))
        }
        return headlines
    }

    public var resultLine: String {
        var fields: [(String, ResultJSON)] = [
            ("scenario", .string("comsat-grants")),
            Headline.field(headlines),
            ("grants", .integer(configuration.grants)),
            ("batch_size", .integer(configuration.batchSize)),
            ("sample", .integer(configuration.sampleSize)),
            ("comsat", comsat.map(json) ?? .null),
            ("dynsec", dynsec.map(json) ?? .null),
            ("dynsec_time_over_comsat_same_grants", .number(dynsecOverComsat(\.install), 2)),
            ("dynsec_removal_time_over_comsat_same_grants", .number(dynsecOverComsat(\.removal), 2)),
            ("series", .array(series)),
            ("load_1m_before", .number(load.before, 2)),
            ("load_1m_after", .number(load.after, 2)),
        ]
        if let comsatGrowth {
            fields.append(("goal_growth_max", .number(Self.growthGoal, decimals: 1)))
            fields.append(("goal_met", .bool(comsatGrowth <= Self.growthGoal && comsat?.install.refused == 0)))
        }
        return "RESULT " + ResultJSON.object(fields).description
    }

    /// Per-grant cost of every batch against the grants held when it was sent.
    private var series: [ResultJSON] {
        var series: [ResultJSON] = []
        for run in [comsat, dynsec].compactMap({ $0 }) {
            let name = run.name == "comsat" ? "ComSat" : "dynamic security"
            for (verb, phase) in [("install", run.install), ("removal", run.removal)] where !phase.batches.isEmpty {
                series.append(.object([
                    ("name", .string("\(name) \(verb)")),
                    ("x", .string("grants held")),
                    ("unit", .string("µs per grant")),
                    ("points", phase.seriesJSON),
                ]))
            }
        }
        return series
    }

    /// Grants per second of ComSat and of dynamic security over the grants dynamic
    /// security reached in `phase`.
    private func sameGrantsRate(_ phase: KeyPath<GrantInstallRun, GrantPhase>) -> (comsat: Double?, dynsec: Double?) {
        guard let comsat else { return (nil, nil) }
        guard let dynsec else { return (comsat[keyPath: phase].grantsPerSecond, nil) }
        let comsatCost = comsat[keyPath: phase].cost(matching: dynsec[keyPath: phase])
        return (comsatCost.flatMap { $0 > 0 ? 1 / $0 : nil }, dynsec[keyPath: phase].grantsPerSecond)
    }

    /// Dynamic security's time over ComSat's for the grants dynamic security handled in
    /// `phase`, at the same store sizes.
    private func dynsecOverComsat(_ phase: KeyPath<GrantInstallRun, GrantPhase>) -> Double? {
        let (comsatRate, dynsecRate) = sameGrantsRate(phase)
        guard dynsec != nil, let comsatRate, let dynsecRate, dynsecRate > 0 else { return nil }
        return comsatRate / dynsecRate
    }

    private func growth(_ phase: GrantPhase) -> Double? {
        guard let first = phase.firstCost(configuration.sampleSize), let last = phase.lastCost(configuration.sampleSize),
              first > 0, phase.grants >= 2 * configuration.sampleSize
        else { return nil }
        return last / first
    }

    private func json(_ run: GrantInstallRun) -> ResultJSON {
        .object([
            ("install", json(run.install)),
            ("removal", json(run.removal)),
            ("removal_sweep_s", .number(run.removal.sweepSeconds, decimals: 3)),
            ("storage_bytes", run.storageBytes.map(ResultJSON.integer) ?? .null),
            ("broker_reports_grants", run.heldAfterInstall.map(ResultJSON.integer) ?? .null),
            ("broker_reports_grants_after_removal", run.heldAfterRemoval.map(ResultJSON.integer) ?? .null),
        ])
    }

    private func json(_ phase: GrantPhase) -> ResultJSON {
        let sample = configuration.sampleSize
        return .object([
            ("grants", .integer(phase.grants)),
            ("stopped_early", .bool(phase.stoppedEarly)),
            ("batches", .integer(phase.batches.count)),
            ("total_s", .number(phase.totalSeconds, decimals: 3)),
            ("grants_per_s", .number(phase.grantsPerSecond, 1)),
            ("first_us_per_grant", .number(phase.firstCost(sample).map { $0 * 1e6 }, 2)),
            ("last_us_per_grant", .number(phase.lastCost(sample).map { $0 * 1e6 }, 2)),
            ("last_over_first", .number(growth(phase), 3)),
            ("last_batch_over_first_batch", .number(phase.lastBatchOverFirst, 3)),
            ("refused", .integer(phase.refused)),
            ("first_refusal", phase.firstRefusal.map(ResultJSON.string) ?? .null),
            ("batch_s", .array(phase.batches.map { .number($0.seconds, decimals: 4) })),
        ])
    }
}
