/// What `link-setup` measured.
public struct LinkSetupReport: Sendable {
    public var configuration: LinkSetupConfiguration
    /// Seconds from the first admin call until the last link was up.
    public var elapsed: Double
    /// Seconds from each link's `route add` call until both its grants were on the ComSat.
    public var latencies: [Double]
    /// Grants the ComSat held at the end (agents' plus links').
    public var comsatGrants: UInt64

    public var linksPerSecond: Double { Double(latencies.count) / elapsed }

    func percentile(_ fraction: Double) -> Double? {
        guard !latencies.isEmpty else { return nil }
        let sorted = latencies.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
    }

    public var summary: String {
        let milliseconds = { (value: Double?) in value.map { "\(Int(($0 * 1_000).rounded())) ms" } ?? "-" }
        return Table.render([
            ["links", "agents", "elapsed s", "links/s", "p50", "p99", "max", "ComSat grants"],
            [
                "\(latencies.count)", "\(configuration.agents)", "\((elapsed * 100).rounded() / 100)",
                "\((linksPerSecond * 10).rounded() / 10)", milliseconds(percentile(0.5)), milliseconds(percentile(0.99)),
                milliseconds(latencies.max()), "\(comsatGrants)",
            ],
        ])
    }

    public var resultLine: String {
        "RESULT " + ResultJSON.object([
            ("scenario", .string("link-setup")),
            ("links", .integer(latencies.count)),
            ("agents", .integer(configuration.agents)),
            ("elapsed_s", .number(elapsed, 3)),
            ("links_per_s", .number(linksPerSecond, 1)),
            ("latency_p50_ms", .number(percentile(0.5).map { $0 * 1_000 }, 1)),
            ("latency_p99_ms", .number(percentile(0.99).map { $0 * 1_000 }, 1)),
            ("latency_max_ms", .number(latencies.max().map { $0 * 1_000 }, 1)),
            ("comsat_grants", .integer(Int(comsatGrants))),
        ]).description
    }
}
