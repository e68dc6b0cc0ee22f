import FogMQTT

/// `comsat-scale` results: every step on ComSat, bare Mosquitto at the largest held step, and
/// ComSat's cost at that size as ratios of bare's.
public struct ScaleReport: Sendable {
    public let configuration: ScaleConfiguration
    /// The steps run, after capping at the descriptor limit.
    let steps: [Int]
    let descriptorLimit: Int
    /// The most pairs the broker's descriptor limit allows.
    let pairCeiling: Int
    let comsat: ScaleRun
    let bare: ScaleRun
    /// One-minute load average before and after the scenario.
    let load: (before: Double?, after: Double?)

    /// The most pairs ComSat held; 0 when it held no step.
    public var largestHealthyPairs: Int {
        comsat.largestHealthy?.pairs ?? 0
    }

    /// ComSat's and bare's step at the size they are compared at.
    private var compared: (comsat: ScaleStep, bare: ScaleStep)? {
        guard let held = comsat.largestHealthy ?? comsat.steps.first, let baseline = bare.step(pairs: held.pairs) else {
            return nil
        }
        return (held, baseline)
    }

    var headlines: [Headline] {
        let baseline = "bare Mosquitto"
        var lines = [
            Headline(
                "pairs held (authenticated, 1 QoS 1 msg/s each)", value: Double(largestHealthyPairs), unit: "pairs",
                decimals: 0)
        ]
        guard let (held, base) = compared else { return lines }
        let size = "at \(held.pairs) pairs"
        lines += [
            Headline(
                "broker RSS per pair \(size)", value: held.residentBytesPerPair(idle: comsat.idleResidentBytes).map { $0 / 1024 },
                unit: "KiB", baseline: baseline, baselineValue: base.residentBytesPerPair(idle: bare.idleResidentBytes).map { $0 / 1024 },
                decimals: 2),
            Headline(
                "broker CPU \(size)", value: held.brokerCPU.map { $0 * 100 }, unit: "% of a core", baseline: baseline,
                baselineValue: base.brokerCPU.map { $0 * 100 }, decimals: 1),
            Headline(
                "p99 latency \(size)", value: held.latencyMilliseconds(99), unit: "ms", baseline: baseline,
                baselineValue: base.latencyMilliseconds(99), decimals: 2),
        ]
        return lines
    }

    /// A table for people.
    public var summary: String {
        var rows: [[String]] = [[
            "", "pairs", "conns", "setup s", "sent", "delivered %", "dup", "p50 ms", "p99 ms", "broker CPU %",
            "RSS MiB", "KiB/pair", "gen. CPU", "lo drops", "retrans", "held",
        ]]
        for run in [comsat, bare] {
            for step in run.steps {
                rows.append([
                    run.name, String(step.pairs), String(step.connections), format(step.setupSeconds, 1),
                    String(step.traffic.sent), format(100 * step.deliveryRatio, 3), String(step.traffic.duplicates),
                    format(step.latencyMilliseconds(50), 2), format(step.latencyMilliseconds(99), 2),
                    step.brokerCPU.map { format(100 * $0, 1) } ?? "?",
                    step.brokerResidentBytes.map { format(Double($0) / 1_048_576, 1) } ?? "?",
                    step.residentBytesPerPair(idle: run.idleResidentBytes).map { format($0 / 1024, 2) } ?? "?",
                    step.generatorCPU.map { format($0, 2) } ?? "?",
                    step.loopback.map { String($0.backlogDrops) } ?? "?",
                    step.loopback.map { String($0.retransmittedSegments) } ?? "?",
                    step.healthy ? "yes" : "no",
                ])
            }
        }
        var text = "comsat-scale: 1 QoS 1 message/s per pair, \(configuration.payloadSize)-byte payloads, "
            + "\(format(Double(configuration.window.components.seconds), 0)) s windows, steps \(steps.map(String.init).joined(separator: ", "))\n"
        text += Table.render(rows)
        for run in [comsat, bare] {
            for step in run.steps {
                if let failure = step.failure {
                    text += "\(run.name) at \(step.pairs) pairs failed: \(failure)\n"
                }
            }
        }
        text += "largest step ComSat held: \(largestHealthyPairs) pairs (goal \(ScaleConfiguration.goalPairs)); "
            + "broker descriptor limit \(descriptorLimit) allows at most \(pairCeiling) pairs\n"
        for headline in headlines.dropFirst() {
            text += "\(headline.metric): comsat \(headline.value.map { format($0, 2) } ?? "?") \(headline.unit), "
                + "bare \(headline.baselineValue.map { format($0, 2) } ?? "?"), ratio \(headline.ratio.map { format($0, 3) } ?? "?")\n"
        }
        text += "lo drops / retrans: packets the kernel dropped on loopback (netdev backlog full) and TCP segments "
            + "retransmitted in the window, machine-wide; each drop costs >= 200 ms\n"
        text += "machine load (1 min) before/after: \(load.before.map { format($0, 2) } ?? "?")/\(load.after.map { format($0, 2) } ?? "?")\n"
        return text
    }

    /// The machine-readable last line: `RESULT {...}`.
    public var resultLine: String {
        var fields: [(String, ResultJSON)] = [
            ("scenario", .string("comsat-scale")),
            Headline.field(headlines),
            ("steps", .array(steps.map { .integer($0) })),
            ("rate_per_pair_msgs_per_s", .integer(1)),
            ("qos", .integer(1)),
            ("payload_bytes", .integer(configuration.payloadSize)),
            ("window_s", .integer(Int(configuration.window.components.seconds))),
            ("deadline_s", .number(Double(MonotonicClock.nanoseconds(of: configuration.deadline)) / 1e9, decimals: 1)),
            ("descriptor_limit", .integer(descriptorLimit)),
            ("pair_ceiling", .integer(pairCeiling)),
            ("largest_healthy_pairs", .integer(largestHealthyPairs)),
            ("goal_pairs", .integer(ScaleConfiguration.goalPairs)),
            ("goal_met", .bool(largestHealthyPairs >= ScaleConfiguration.goalPairs)),
            ("comsat", json(comsat)),
            ("bare", json(bare)),
        ]
        if let (held, base) = compared {
            fields.append(("ratio", .object([
                ("pairs", .integer(held.pairs)),
                ("rss_per_pair", .number(ratio(
                    held.residentBytesPerPair(idle: comsat.idleResidentBytes), base.residentBytesPerPair(idle: bare.idleResidentBytes)), 3)),
                ("rss", .number(ratio(held.brokerResidentBytes.map(Double.init), base.brokerResidentBytes.map(Double.init)), 3)),
                ("cpu", .number(ratio(held.brokerCPU, base.brokerCPU), 3)),
                ("p50", .number(ratio(held.latencyMilliseconds(50), base.latencyMilliseconds(50)), 3)),
                ("p99", .number(ratio(held.latencyMilliseconds(99), base.latencyMilliseconds(99)), 3)),
            ])))
        }
        fields.append(("load_1m_before", .number(load.before, 2)))
        fields.append(("load_1m_after", .number(load.after, 2)))
        return "RESULT " + ResultJSON.object(fields).description
    }

    private func json(_ run: ScaleRun) -> ResultJSON {
        .object([
            ("idle_rss_mib", .number(run.idleResidentBytes.map { Double($0) / 1_048_576 }, 1)),
            ("grant_install_s", .number(run.grantSeconds, 2)),
            ("largest_healthy_pairs", .integer(run.largestHealthy?.pairs ?? 0)),
            ("steps", .array(run.steps.map { json($0, idle: run.idleResidentBytes) })),
        ])
    }

    private func json(_ step: ScaleStep, idle: Int?) -> ResultJSON {
        .object([
            ("pairs", .integer(step.pairs)),
            ("connections", .integer(step.connections)),
            ("setup_s", .number(step.setupSeconds, decimals: 2)),
            ("sent", .integer(step.traffic.sent)),
            ("delivered", .integer(step.traffic.delivered)),
            ("delivery_ratio", .number(step.deliveryRatio, decimals: 5)),
            ("duplicates", .integer(step.traffic.duplicates)),
            ("late", .integer(step.lateArrivals)),
            ("p50_ms", .number(step.latencyMilliseconds(50), decimals: 3)),
            ("p99_ms", .number(step.latencyMilliseconds(99), decimals: 3)),
            ("max_ms", .number(Double(step.traffic.latency.maximum) / 1e6, decimals: 3)),
            ("broker_cpu_pct", .number(step.brokerCPU.map { $0 * 100 }, 1)),
            ("broker_rss_mib", .number(step.brokerResidentBytes.map { Double($0) / 1_048_576 }, 1)),
            ("rss_kib_per_pair", .number(step.residentBytesPerPair(idle: idle).map { $0 / 1024 }, 3)),
            ("generator_cpu_cores", .number(step.generatorCPU, 2)),
            ("loopback_backlog_drops", step.loopback.map { .integer($0.backlogDrops) } ?? .null),
            ("tcp_retransmitted_segments", step.loopback.map { .integer($0.retransmittedSegments) } ?? .null),
            ("lost_connections", .integer(step.lostConnections)),
            ("rejected_publishes", .integer(step.rejectedPublishes)),
            ("publish_failures", .integer(step.publishFailures)),
            ("healthy", .bool(step.healthy)),
            ("failure", step.failure.map(ResultJSON.string) ?? .null),
        ])
    }
}
