/// What `link-setup` measured: per link, seconds from the admin call until (a) both grants
/// were on the ComSat, (b) a first message crossed between the halves, and after removal
/// (c) the ComSat refused the old credentials; plus the bare-Mosquitto first message.
public struct LinkSetupReport: Sendable {
    static let baselineName = "fresh clients on bare Mosquitto"

    public var configuration: LinkSetupConfiguration
    /// Seconds from the first `route add` call until the last link was up.
    public var elapsed: Double
    /// (a) `route add` call until both of the link's grants were on the ComSat.
    public var latencies: [Double]
    /// (b) `route add` call until the first message from half A arrived at half B.
    public var firstMessage: [Double]
    /// Of (b), the link being up until the message arrived: the halves' clients connecting,
    /// subscribing and publishing.
    public var upToFirstMessage: [Double]
    /// Seconds from the first `route rm` call until the last link's credentials were refused.
    public var removalElapsed: Double
    /// (c) `route rm` call until the ComSat refused both halves' old credentials.
    public var removal: [Double]
    /// Baseline of (b): two clients connecting fresh to a bare Mosquitto, one subscribing,
    /// the other publishing, until arrival.
    public var bareFirstMessage: [Double]
    /// Grants the ComSat held with every link up, and after they were removed (the agents').
    public var comsatGrants: UInt64
    public var comsatGrantsAfterRemoval: UInt64
    /// One-minute load average before and after the scenario.
    public var loadBefore: Double?
    public var loadAfter: Double?

    public var linksPerSecond: Double { Double(latencies.count) / elapsed }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    public var summary: String {
        let milliseconds = { (value: Double?) in value.map { format($0 * 1_000, 1) } ?? "-" }
        var rows = [["per link, ms", "links", "p50", "p99", "max"]]
        for (name, values) in [
            ("(a) route add -> grants installed", latencies),
            ("(b) route add -> first message delivered", firstMessage),
            ("    of which: link up -> first message", upToFirstMessage),
            ("(c) route rm -> old credentials refused", removal),
            ("baseline: fresh clients, bare Mosquitto", bareFirstMessage),
        ] {
            rows.append([
                name, "\(values.count)", milliseconds(Self.percentile(values, 0.5)), milliseconds(Self.percentile(values, 0.99)),
                milliseconds(values.max()),
            ])
        }
        var text = "link-setup: \(latencies.count) links over \(configuration.agents) agents, "
            + "\(configuration.concurrency) admin calls in flight\n"
        text += Table.render(rows)
        text += "set up \(format(linksPerSecond, 1)) links/s (\(format(elapsed, 2)) s); removed in \(format(removalElapsed, 2)) s; "
            + "ComSat grants \(comsatGrants) with the links, \(comsatGrantsAfterRemoval) after\n"
        return text
    }

    public var headlines: [Headline] {
        let p = { (values: [Double], fraction: Double) in Self.percentile(values, fraction).map { $0 * 1_000 } }
        return [
            Headline("link set-up, admin call -> grants installed, p50", value: p(latencies, 0.5), unit: "ms"),
            Headline("link set-up, admin call -> grants installed, p99", value: p(latencies, 0.99), unit: "ms"),
            Headline(
                "link set-up, admin call -> first message delivered, p50", value: p(firstMessage, 0.5), unit: "ms",
                baseline: Self.baselineName, baselineValue: p(bareFirstMessage, 0.5), decimals: 2),
            Headline(
                "link set-up, admin call -> first message delivered, p99", value: p(firstMessage, 0.99), unit: "ms",
                baseline: Self.baselineName, baselineValue: p(bareFirstMessage, 0.99), decimals: 2),
            Headline(
                "link up -> first message delivered, p50", value: p(upToFirstMessage, 0.5), unit: "ms",
                baseline: Self.baselineName, baselineValue: p(bareFirstMessage, 0.5), decimals: 2),
            Headline("link removal, admin call -> credentials refused, p50", value: p(removal, 0.5), unit: "ms"),
            Headline("link removal, admin call -> credentials refused, p99", value: p(removal, 0.99), unit: "ms"),
            Headline("links set up per second", value: linksPerSecond, unit: "links/s"),
        ]
    }

    public var resultLine: String {
        "RESULT " + ResultJSON.object([
            ("scenario", .string("link-setup")),
            Headline.field(headlines),
            ("links", .integer(latencies.count)),
            ("agents", .integer(configuration.agents)),
            ("concurrency", .integer(configuration.concurrency)),
            ("elapsed_s", .number(elapsed, 3)),
            ("links_per_s", .number(linksPerSecond, 1)),
            ("latency_p50_ms", .number(Self.percentile(latencies, 0.5).map { $0 * 1_000 }, 1)),
            ("latency_p99_ms", .number(Self.percentile(latencies, 0.99).map { $0 * 1_000 }, 1)),
            ("latency_max_ms", .number(latencies.max().map { $0 * 1_000 }, 1)),
            ("first_message", latencyJSON(firstMessage)),
            ("up_to_first_message", latencyJSON(upToFirstMessage)),
            ("removal", latencyJSON(removal)),
            ("removal_elapsed_s", .number(removalElapsed, 3)),
            ("bare_first_message", latencyJSON(bareFirstMessage)),
            ("comsat_grants", .integer(Int(comsatGrants))),
            ("comsat_grants_after_removal", .integer(Int(comsatGrantsAfterRemoval))),
            ("load_1m_before", .number(loadBefore, 2)),
            ("load_1m_after", .number(loadAfter, 2)),
        ]).description
    }

    private func latencyJSON(_ values: [Double]) -> ResultJSON {
        .object([
            ("count", .integer(values.count)),
            ("p50_ms", .number(Self.percentile(values, 0.5).map { $0 * 1_000 }, 2)),
            ("p99_ms", .number(Self.percentile(values, 0.99).map { $0 * 1_000 }, 2)),
            ("max_ms", .number(values.max().map { $0 * 1_000 }, 2)),
        ])
    }
}
