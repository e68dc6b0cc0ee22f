import FogMQTT

/// `comsat-recovery` results: every restart of ComSat and of bare Mosquitto, and ComSat's
/// median recovery times as ratios of bare's.
public struct RecoveryReport: Sendable {
    public let configuration: RecoveryConfiguration
    let comsatRuns: [RecoveryRun]
    let bareRuns: [RecoveryRun]
    /// One-minute load average before and after the scenario.
    let load: (before: Double?, after: Double?)

    init(configuration: RecoveryConfiguration, comsat: [RecoveryRun], bare: [RecoveryRun], load: (before: Double?, after: Double?)) {
        self.configuration = configuration
        comsatRuns = comsat
        bareRuns = bare
        self.load = load
    }

    /// Whether both brokers got every half back and every message delivered exactly once, every round.
    public var complete: Bool {
        (comsatRuns + bareRuns).allSatisfy(\.complete)
    }

    /// The medians over the rounds of one broker.
    struct Medians {
        var stopped: Double?
        var accepting: Double?
        var reconnected: Double?
        var delivered: Double?

        init(_ runs: [RecoveryRun]) {
            stopped = Self.median(runs.map(\.stoppedSeconds))
            accepting = Self.median(runs.map(\.acceptingSeconds))
            reconnected = Self.median(runs.map(\.reconnectedSeconds))
            delivered = Self.median(runs.map(\.deliveredSeconds))
        }

        /// nil when a round has no value (it did not get there) or there are no rounds.
        private static func median(_ values: [Double?]) -> Double? {
            let present = values.compactMap { $0 }.sorted()
            guard !present.isEmpty, present.count == values.count else { return nil }
            let middle = present.count / 2
            return present.count % 2 == 1 ? present[middle] : (present[middle - 1] + present[middle]) / 2
        }
    }

    var comsat: Medians { Medians(comsatRuns) }
    var bare: Medians { Medians(bareRuns) }

    var headlines: [Headline] {
        let baseline = "bare Mosquitto"
        let halves = 2 * configuration.links
        let messages = configuration.links * configuration.backlog
        return [
            Headline(
                "restart to all \(halves) halves reconnected (median)", value: comsat.reconnected, unit: "s", baseline: baseline,
                baselineValue: bare.reconnected, decimals: 3),
            Headline(
                "restart to backlog of \(messages) delivered (median)", value: comsat.delivered, unit: "s", baseline: baseline,
                baselineValue: bare.delivered, decimals: 3),
            Headline(
                "restart to broker accepting (median)", value: comsat.accepting, unit: "s", baseline: baseline,
                baselineValue: bare.accepting, decimals: 3),
        ]
    }

    /// A table for people.
    public var summary: String {
        var rows: [[String]] = [[
            "", "stopped s", "accepting s", "all back s", "backlog s", "reconnected", "attempts", "backlog", "received",
            "lost", "dup",
        ]]
        for runs in [comsatRuns, bareRuns] {
            for (round, run) in runs.enumerated() {
                rows.append([
                    "\(run.name) \(round + 1)", format(run.stoppedSeconds, 3), format(run.acceptingSeconds, 3),
                    run.reconnectedSeconds.map { format($0, 3) } ?? "never", run.deliveredSeconds.map { format($0, 3) } ?? "never",
                    "\(run.halvesReconnected)/\(2 * run.links)", String(run.connectionAttempts), String(run.backlogSent),
                    String(run.received), String(run.lost), String(run.duplicates),
                ])
            }
        }
        for (name, medians) in [("comsat median", comsat), ("bare median", bare)] {
            rows.append([
                name, text(medians.stopped), text(medians.accepting), text(medians.reconnected), text(medians.delivered),
                "", "", "", "", "", "",
            ])
        }
        rows.append([
            "comsat/bare", ratioText(comsat.stopped, bare.stopped), ratioText(comsat.accepting, bare.accepting),
            ratioText(comsat.reconnected, bare.reconnected), ratioText(comsat.delivered, bare.delivered),
            "", "", "", "", "", "",
        ])
        var text = "comsat-recovery: \(configuration.links) links (\(2 * configuration.links) halves, persistent sessions), "
            + "backlog \(configuration.backlog) QoS 1 messages per link, restart by "
            + (configuration.kill ? "SIGKILL after a SIGUSR1 save" : "SIGTERM") + ", \(comsatRuns.count) round(s); "
            + "times in seconds from the start of the restart\n"
        text += Table.render(rows)
        if !complete {
            text += "WARNING: a half did not come back, or a message was lost or duplicated; see RESULT\n"
        }
        text += "machine load (1 min) before/after: \(load.before.map { format($0, 2) } ?? "?")/\(load.after.map { format($0, 2) } ?? "?")\n"
        return text
    }

    /// The machine-readable last line: `RESULT {...}`.
    public var resultLine: String {
        let fields: [(String, ResultJSON)] = [
            ("scenario", .string("comsat-recovery")),
            Headline.field(headlines),
            ("links", .integer(configuration.links)),
            ("halves", .integer(2 * configuration.links)),
            ("backlog_per_link", .integer(configuration.backlog)),
            ("qos", .integer(1)),
            ("payload_bytes", .integer(configuration.payloadSize)),
            ("restart", .string(configuration.kill ? "sigusr1-save-then-sigkill" : "sigterm")),
            ("reconnect_initial_s", .number(seconds(configuration.reconnect.initialDelay), decimals: 3)),
            ("reconnect_max_s", .number(seconds(configuration.reconnect.maximumDelay), decimals: 3)),
            ("reconnect_jitter", .number(configuration.reconnect.jitter, decimals: 2)),
            ("rounds", .integer(comsatRuns.count)),
            ("comsat", json(comsat, comsatRuns)),
            ("bare", json(bare, bareRuns)),
            ("ratio", .object([
                ("accepting", .number(ratio(comsat.accepting, bare.accepting), 3)),
                ("reconnected", .number(ratio(comsat.reconnected, bare.reconnected), 3)),
                ("delivered", .number(ratio(comsat.delivered, bare.delivered), 3)),
            ])),
            ("complete", .bool(complete)),
            ("load_1m_before", .number(load.before, 2)),
            ("load_1m_after", .number(load.after, 2)),
        ]
        return "RESULT " + ResultJSON.object(fields).description
    }

    private func json(_ medians: Medians, _ runs: [RecoveryRun]) -> ResultJSON {
        .object([
            ("median_stopped_s", .number(medians.stopped, 3)),
            ("median_accepting_s", .number(medians.accepting, 3)),
            ("median_all_reconnected_s", .number(medians.reconnected, 3)),
            ("median_backlog_delivered_s", .number(medians.delivered, 3)),
            ("lost", .integer(runs.reduce(0) { $0 + $1.lost })),
            ("duplicates", .integer(runs.reduce(0) { $0 + $1.duplicates })),
            ("rounds", .array(runs.map(json))),
        ])
    }

    private func json(_ run: RecoveryRun) -> ResultJSON {
        .object([
            ("setup_s", .number(run.setupSeconds, decimals: 2)),
            ("grant_install_s", .number(run.grantSeconds, 3)),
            ("stopped_s", .number(run.stoppedSeconds, decimals: 3)),
            ("accepting_s", .number(run.acceptingSeconds, decimals: 3)),
            ("all_reconnected_s", .number(run.reconnectedSeconds, 3)),
            ("backlog_delivered_s", .number(run.deliveredSeconds, 3)),
            ("halves_reconnected", .integer(run.halvesReconnected)),
            ("connection_attempts", .integer(run.connectionAttempts)),
            ("backlog_sent", .integer(run.backlogSent)),
            ("received", .integer(run.received)),
            ("lost", .integer(run.lost)),
            ("duplicates", .integer(run.duplicates)),
            ("rejected_publishes", .integer(run.rejectedPublishes)),
            ("complete", .bool(run.complete)),
        ])
    }

    private func text(_ value: Double?) -> String {
        value.map { format($0, 3) } ?? "never"
    }

    private func ratioText(_ value: Double?, _ baseline: Double?) -> String {
        ratio(value, baseline).map { format($0, 3) } ?? "?"
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(MonotonicClock.nanoseconds(of: duration)) / 1e9
    }
}
