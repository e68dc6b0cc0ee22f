import FogMQTT

/// Scenario (a)'s results: per broker, and the plugin's figures as ratios of bare's.
public struct DataPathReport: Sendable {
    /// The goal of issue 3: the plugin keeps at least this fraction of bare throughput.
    public static let throughputGoal = 0.90

    public let configuration: DataPathConfiguration
    let bareRounds: [DataPathRun]
    let comsatRounds: [DataPathRun]
    /// All rounds of each broker pooled.
    let bare: DataPathRun
    let comsat: DataPathRun?

    /// One-minute load average before and after the scenario.
    let load: (before: Double?, after: Double?)

    /// - Precondition: `bareRounds` is not empty (the scenario always measures bare).
    init(
        configuration: DataPathConfiguration, bareRounds: [DataPathRun], comsatRounds: [DataPathRun],
        load: (before: Double?, after: Double?)
    ) {
        guard let bare = DataPathRun.pooled(bareRounds) else {
            preconditionFailure("a data-path report needs at least one bare run")
        }
        self.configuration = configuration
        self.bareRounds = bareRounds
        self.comsatRounds = comsatRounds
        self.bare = bare
        comsat = DataPathRun.pooled(comsatRounds)
        self.load = load
    }

    /// Plugin throughput over bare throughput in each round.
    var roundRatios: [Double] {
        zip(bareRounds, comsatRounds).map { ratio($1.closedLoop.messagesPerSecond, $0.closedLoop.messagesPerSecond) }
    }

    /// Plugin throughput over bare throughput; nil without a plugin run.
    public var throughputRatio: Double? {
        comsat.map { ratio($0.closedLoop.messagesPerSecond, bare.closedLoop.messagesPerSecond) }
    }

    /// Whether every message of every run arrived exactly once, with no refused publish
    /// and no lost connection: otherwise the throughput figures do not mean what they say.
    public var trafficClean: Bool {
        [bare, comsat].compactMap { $0 }.allSatisfy { run in
            run.totals.lost == 0 && run.totals.duplicates == 0 && run.totals.rejectedPublishes == 0
                && run.totals.publishFailures == 0 && run.totals.lostConnections == 0 && run.totals.foreignMessages == 0
        }
    }

    /// A table for people.
    public var summary: String {
        let runs = [bare, comsat].compactMap { $0 }
        var rows: [[String]] = [["", "msg/s", "sat. p50 µs", "sat. p99 µs", "rate msg/s", "p50 µs", "p99 µs", "broker µs CPU/msg", "broker CPU", "lost", "dup"]]
        for run in runs {
            rows.append([
                run.name,
                format(run.closedLoop.messagesPerSecond, 0),
                microseconds(run.closedLoop.latency, 50),
                microseconds(run.closedLoop.latency, 99),
                format(run.openLoopRate, 0),
                microseconds(run.openLoop.latency, 50),
                microseconds(run.openLoop.latency, 99),
                run.closedLoop.brokerMicrosecondsPerMessage.map { format($0, 2) } ?? "?",
                run.closedLoop.brokerCPUSeconds.map { format(100 * $0 / max(run.closedLoop.windowSeconds, 1e-9), 0) + " %" } ?? "?",
                String(run.totals.lost),
                String(run.totals.duplicates),
            ])
        }
        if let comsat {
            rows.append([
                "comsat/bare",
                format(ratio(comsat.closedLoop.messagesPerSecond, bare.closedLoop.messagesPerSecond), 3),
                format(latencyRatio(comsat.closedLoop, bare.closedLoop, 50), 3),
                format(latencyRatio(comsat.closedLoop, bare.closedLoop, 99), 3),
                "",
                format(latencyRatio(comsat.openLoop, bare.openLoop, 50), 3),
                format(latencyRatio(comsat.openLoop, bare.openLoop, 99), 3),
                cpuRatio.map { format($0, 3) } ?? "?",
                "", "", "",
            ])
        }
        var text = "comsat-datapath: \(configuration.pairs) pairs, QoS 1, \(configuration.payloadSize)-byte payloads, "
            + "closed loop window \(configuration.window), \(bareRounds.count) round(s) pooled\n"
        text += Table.render(rows)
        if roundRatios.count > 1 {
            text += "throughput ratio per round: " + roundRatios.map { format($0, 3) }.joined(separator: ", ") + "\n"
        }
        if let throughputRatio {
            text += "throughput ratio comsat/bare \(format(throughputRatio, 3)) (goal >= \(format(Self.throughputGoal, 2))): "
                + (throughputRatio >= Self.throughputGoal ? "met" : "NOT met") + "\n"
        }
        text += "machine load (1 min) before/after: \(load.before.map { format($0, 2) } ?? "?")/\(load.after.map { format($0, 2) } ?? "?")\n"
        if !trafficClean {
            text += "WARNING: messages were lost, duplicated or refused, or connections dropped; see RESULT\n"
        }
        return text
    }

    /// The machine-readable last line: `RESULT {...}`.
    public var resultLine: String {
        var fields: [(String, ResultJSON)] = [
            ("scenario", .string("comsat-datapath")),
            Headline.field(headlines),
            ("pairs", .integer(configuration.pairs)),
            ("payload_bytes", .integer(configuration.payloadSize)),
            ("qos", .integer(1)),
            ("window", .integer(configuration.window)),
            ("rounds", .integer(bareRounds.count)),
            ("bare", json(bare)),
            ("comsat", comsat.map(json) ?? .null),
        ]
        if let comsat {
            fields.append(("ratio", .object([
                ("throughput", .number(ratio(comsat.closedLoop.messagesPerSecond, bare.closedLoop.messagesPerSecond), 3)),
                ("p50", .number(latencyRatio(comsat.openLoop, bare.openLoop, 50), 3)),
                ("p99", .number(latencyRatio(comsat.openLoop, bare.openLoop, 99), 3)),
                ("saturated_p50", .number(latencyRatio(comsat.closedLoop, bare.closedLoop, 50), 3)),
                ("saturated_p99", .number(latencyRatio(comsat.closedLoop, bare.closedLoop, 99), 3)),
                ("broker_cpu_per_msg", .number(cpuRatio, 3)),
                ("throughput_per_round", .array(roundRatios.map { .number($0, 3) })),
            ])))
            fields.append(("goal_throughput_ratio", .number(Self.throughputGoal, decimals: 2)))
            fields.append(("goal_met", .bool((throughputRatio ?? 0) >= Self.throughputGoal)))
        }
        fields.append(("traffic_clean", .bool(trafficClean)))
        fields.append(("load_1m_before", .number(load.before, 2)))
        fields.append(("load_1m_after", .number(load.after, 2)))
        return "RESULT " + ResultJSON.object(fields).description
    }

    /// ComSat's figures against bare Mosquitto's, from the pooled rounds.
    public var headlines: [Headline] {
        guard let comsat else { return [] }
        let baseline = "bare Mosquitto"
        let pairs = "\(configuration.pairs) pairs, QoS 1, \(configuration.payloadSize) B"
        let latency = { (run: DataPathRun, percentile: Double) in Double(run.openLoop.latency.value(atPercentile: percentile)) / 1e3 }
        return [
            Headline(
                "ComSat data path throughput (\(pairs))", value: comsat.closedLoop.messagesPerSecond, unit: "msg/s",
                baseline: baseline, baselineValue: bare.closedLoop.messagesPerSecond, decimals: 0),
            Headline(
                "ComSat data path latency p50, open loop", value: latency(comsat, 50), unit: "µs",
                baseline: baseline, baselineValue: latency(bare, 50), decimals: 0),
            Headline(
                "ComSat data path latency p99, open loop", value: latency(comsat, 99), unit: "µs",
                baseline: baseline, baselineValue: latency(bare, 99), decimals: 0),
            Headline(
                "ComSat broker CPU per message", value: comsat.closedLoop.brokerMicrosecondsPerMessage, unit: "µs",
                baseline: baseline, baselineValue: bare.closedLoop.brokerMicrosecondsPerMessage, decimals: 2),
        ]
    }

    private var cpuRatio: Double? {
        guard let comsat,
              let plugin = comsat.closedLoop.brokerMicrosecondsPerMessage,
              let baseline = bare.closedLoop.brokerMicrosecondsPerMessage
        else { return nil }
        return ratio(plugin, baseline)
    }

    private func json(_ run: DataPathRun) -> ResultJSON {
        var fields: [(String, ResultJSON)] = [
            ("throughput_msgs_per_s", .number(run.closedLoop.messagesPerSecond, decimals: 1)),
        ]
        fields += run.closedLoop.latencyFields(prefix: "saturated_")
        fields += [
            ("open_loop_rate_msgs_per_s", .number(run.openLoopRate, decimals: 1)),
            ("open_loop_delivered_msgs_per_s", .number(run.openLoop.messagesPerSecond, decimals: 1)),
        ]
        fields += run.openLoop.latencyFields(maximum: true)
        fields += [
            ("open_loop_max_backlog", .integer(run.openLoop.maximumBacklog)),
            ("broker_cpu_us_per_msg", .number(run.closedLoop.brokerMicrosecondsPerMessage, 3)),
            ("broker_cpu_utilization", .number(run.closedLoop.brokerCPUSeconds.map { $0 / max(run.closedLoop.windowSeconds, 1e-9) }, 3)),
            ("generator_cpu_utilization", .number(run.closedLoop.generatorCPUSeconds / max(run.closedLoop.windowSeconds, 1e-9), decimals: 3)),
            ("window_s", .number(run.closedLoop.windowSeconds, decimals: 2)),
        ]
        fields += run.totals.resultFields
        fields += [
            ("setup_s", .number(run.setupSeconds, decimals: 2)),
            ("grant_install_s", .number(run.grantSeconds, 3)),
        ]
        return .object(fields)
    }

    private func microseconds(_ histogram: LatencyHistogram, _ percentile: Double) -> String {
        format(Double(histogram.value(atPercentile: percentile)) / 1e3, 0)
    }

    private func latencyRatio(_ plugin: TrafficPhaseResult, _ baseline: TrafficPhaseResult, _ percentile: Double) -> Double {
        ratio(Double(plugin.latency.value(atPercentile: percentile)), Double(baseline.latency.value(atPercentile: percentile)))
    }
}
