import FogMQTT

/// What `link-e2e` measured: the link's figures with the bridge's as their baseline, and
/// bytes on the wire per reading against plain MQTT QoS 1.
public struct LinkEndToEndReport: Sendable {
    public let configuration: LinkEndToEndConfiguration
    let link: LinkEndToEndRun
    let bridge: LinkEndToEndRun
    let plainSingle: WireBytes
    let plainBatched: WireBytes
    /// One-minute load average before and after the scenario.
    let load: (before: Double?, after: Double?)

    /// Link throughput over the bridge's.
    public var throughputRatio: Double { ratio(link.throughput.messagesPerSecond, bridge.throughput.messagesPerSecond) }

    /// Whether every reading on both paths arrived exactly once with no refused publish and
    /// no lost connection: otherwise the other figures do not mean what they say.
    public var trafficClean: Bool {
        [link, bridge].allSatisfy { run in
            run.totals.lost == 0 && run.totals.duplicates == 0 && run.totals.rejectedPublishes == 0
                && run.totals.publishFailures == 0 && run.totals.lostConnections == 0 && run.totals.foreignMessages == 0
        }
    }

    /// Tables for people.
    public var summary: String {
        var rows: [[String]] = [[
            "", "readings/s", "sat. p50 µs", "sat. p99 µs", "rate/s", "p50 µs", "p99 µs", "path CPU µs/reading", "sent",
            "lost", "dup", "out of order",
        ]]
        for run in [link, bridge] {
            rows.append([
                run.name,
                format(run.throughput.messagesPerSecond, 0),
                microseconds(run.throughput.latency, 50),
                microseconds(run.throughput.latency, 99),
                format(run.latencyRate, 0),
                microseconds(run.latency.latency, 50),
                microseconds(run.latency.latency, 99),
                run.pathCPUMicrosecondsPerReading.map { format($0, 1) } ?? "?",
                String(run.totals.sent),
                String(run.totals.lost),
                String(run.totals.duplicates),
                String(run.totals.outOfOrder),
            ])
        }
        rows.append([
            "link/bridge",
            format(throughputRatio, 3),
            format(latencyRatio(\.throughput, 50), 3),
            format(latencyRatio(\.throughput, 99), 3),
            "",
            format(latencyRatio(\.latency, 50), 3),
            format(latencyRatio(\.latency, 99), 3),
            cpuRatio.map { format($0, 3) } ?? "?",
            "", "", "", "",
        ])
        var text = "link-e2e: one link vs. a Mosquitto bridge, \(configuration.readingSize)-byte readings, QoS 1, "
            + "window \(configuration.window) in flight end to end\n"
        text += Table.render(rows)
        for run in [link, bridge] where !run.cpuByProcess.isEmpty {
            text += "\(run.name) CPU µs per reading by process: "
                + run.cpuByProcess.map { "\($0.name) \(format($0.microsecondsPerReading, 1))" }.joined(separator: ", ") + "\n"
        }
        text += "\nbytes on the wire per delivered reading (site A's hop towards the cloud, both directions)\n"
        var bytes: [[String]] = [["", "single", "up", "down", "batched", "up", "down", "backlog", "up", "down"]]
        for (name, single, batched, backlog) in [
            ("link", link.single, link.batched, Optional(link.backlog)), ("bridge", bridge.single, bridge.batched, bridge.backlog),
            ("mqtt", plainSingle, plainBatched, nil),
        ] {
            var row = [
                name, format(single.perReading, 1), format(single.upPerReading, 1), format(single.downPerReading, 1),
                format(batched.perReading, 1), format(batched.upPerReading, 1), format(batched.downPerReading, 1),
            ]
            if let backlog {
                row += [format(backlog.perReading, 1), format(backlog.upPerReading, 1), format(backlog.downPerReading, 1)]
            }
            bytes.append(row)
        }
        bytes.append([
            "link/mqtt", format(ratio(link.single.perReading, plainSingle.perReading), 3), "", "",
            format(ratio(link.batched.perReading, plainBatched.perReading), 3), "", "",
            format(ratio(link.backlog.perReading, plainBatched.perReading), 3), "", "",
        ])
        bytes.append([
            "link/bridge", format(ratio(link.single.perReading, bridge.single.perReading), 3), "", "",
            format(ratio(link.batched.perReading, bridge.batched.perReading), 3), "", "",
            format(ratio(link.backlog.perReading, bridge.backlog.perReading), 3), "", "",
        ])
        text += Table.render(bytes)
        text += "single: \(configuration.singleReadings) readings one at a time; batched: \(configuration.burstReadings) in one burst; "
            + "backlog: the same burst while site A's hop is down for \(configuration.backlogOutage), reconnection included\n"
        text += "machine load (1 min) before/after: \(load.before.map { format($0, 2) } ?? "?")/\(load.after.map { format($0, 2) } ?? "?")\n"
        if !trafficClean {
            text += "WARNING: readings were lost, duplicated or refused, or connections dropped; see RESULT\n"
        }
        return text
    }

    /// The machine-readable last line: `RESULT {...}`.
    public var resultLine: String {
        "RESULT " + ResultJSON.object([
            ("scenario", .string("link-e2e")),
            Headline.field(headlines),
            ("reading_bytes", .integer(configuration.readingSize)),
            ("qos", .integer(1)),
            ("window", .integer(configuration.window)),
            ("link", json(link)),
            ("bridge", json(bridge)),
            ("mqtt", .object([("single", json(plainSingle)), ("batched", json(plainBatched))])),
            ("ratio", .object([
                ("throughput", .number(throughputRatio, 3)),
                ("p50", .number(latencyRatio(\.latency, 50), 3)),
                ("p99", .number(latencyRatio(\.latency, 99), 3)),
                ("saturated_p50", .number(latencyRatio(\.throughput, 50), 3)),
                ("saturated_p99", .number(latencyRatio(\.throughput, 99), 3)),
                ("path_cpu_per_reading", .number(cpuRatio, 3)),
                ("bytes_single_vs_mqtt", .number(ratio(link.single.perReading, plainSingle.perReading), 3)),
                ("bytes_batched_vs_mqtt", .number(ratio(link.batched.perReading, plainBatched.perReading), 3)),
                ("bytes_single_vs_bridge", .number(ratio(link.single.perReading, bridge.single.perReading), 3)),
                ("bytes_batched_vs_bridge", .number(ratio(link.batched.perReading, bridge.batched.perReading), 3)),
                ("bytes_backlog_vs_mqtt", .number(ratio(link.backlog.perReading, plainBatched.perReading), 3)),
                ("bytes_backlog_vs_bridge", .number(ratio(link.backlog.perReading, bridge.backlog.perReading), 3)),
            ])),
            ("traffic_clean", .bool(trafficClean)),
            ("load_1m_before", .number(load.before, 2)),
            ("load_1m_after", .number(load.after, 2)),
        ]).description
    }

    private func json(_ run: LinkEndToEndRun) -> ResultJSON {
        var fields: [(String, ResultJSON)] = [
            ("throughput_readings_per_s", .number(run.throughput.messagesPerSecond, decimals: 1)),
        ]
        fields += run.throughput.latencyFields(prefix: "saturated_")
        fields += [
            ("latency_rate_readings_per_s", .number(run.latencyRate, decimals: 1)),
            ("latency_delivered_readings_per_s", .number(run.latency.messagesPerSecond, decimals: 1)),
        ]
        fields += run.latency.latencyFields(maximum: true)
        fields += [
            ("path_cpu_us_per_reading", .number(run.pathCPUMicrosecondsPerReading, 2)),
            ("cpu_us_per_reading_by_process", .object(run.cpuByProcess.map { ($0.name, .number($0.microsecondsPerReading, decimals: 2)) })),
            ("bytes_single", json(run.single)),
            ("bytes_batched", json(run.batched)),
            ("bytes_backlog", json(run.backlog)),
        ]
        fields += run.totals.resultFields
        return .object(fields)
    }

    private func json(_ bytes: WireBytes) -> ResultJSON {
        .object([
            ("readings", .integer(bytes.readings)),
            ("up", .integer(bytes.up)),
            ("down", .integer(bytes.down)),
            ("per_reading", .number(bytes.perReading, 2)),
        ])
    }

    /// The link against the Mosquitto bridge (throughput, latency, CPU) and against plain
    /// MQTT QoS 1 (bytes on the wire per reading).
    public var headlines: [Headline] {
        let bridgeName = "Mosquitto bridge"
        let mqtt = "plain MQTT QoS 1"
        let reading = "\(configuration.readingSize)-byte reading"
        let latency = { (run: LinkEndToEndRun, percentile: Double) in Double(run.latency.latency.value(atPercentile: percentile)) / 1e6 }
        return [
            Headline(
                "one link throughput, QoS 1", value: link.throughput.messagesPerSecond, unit: "readings/s", baseline: bridgeName,
                baselineValue: bridge.throughput.messagesPerSecond, decimals: 0),
            Headline(
                "one link latency p50, open loop", value: latency(link, 50), unit: "ms",
                baseline: bridgeName, baselineValue: latency(bridge, 50), decimals: 3),
            Headline(
                "one link latency p99, open loop", value: latency(link, 99), unit: "ms",
                baseline: bridgeName, baselineValue: latency(bridge, 99), decimals: 3),
            Headline(
                "CPU per reading, all processes on the path", value: link.pathCPUMicrosecondsPerReading, unit: "µs",
                baseline: bridgeName, baselineValue: bridge.pathCPUMicrosecondsPerReading),
            Headline(
                "bytes on the wire per \(reading), single", value: link.single.perReading, unit: "B", baseline: mqtt,
                baselineValue: plainSingle.perReading),
            Headline(
                "bytes on the wire per \(reading), batched", value: link.batched.perReading, unit: "B", baseline: mqtt,
                baselineValue: plainBatched.perReading),
            Headline(
                "bytes on the wire per \(reading), backlog after a cut", value: link.backlog.perReading, unit: "B",
                baseline: mqtt, baselineValue: plainBatched.perReading),
        ]
    }

    private var cpuRatio: Double? {
        guard let linkCPU = link.pathCPUMicrosecondsPerReading, let bridgeCPU = bridge.pathCPUMicrosecondsPerReading else {
            return nil
        }
        return ratio(linkCPU, bridgeCPU)
    }

    private func microseconds(_ histogram: LatencyHistogram, _ percentile: Double) -> String {
        format(Double(histogram.value(atPercentile: percentile)) / 1e3, 0)
    }

    private func latencyRatio(_ phase: KeyPath<LinkEndToEndRun, TrafficPhaseResult>, _ percentile: Double) -> Double {
        ratio(
            Double(link[keyPath: phase].latency.value(atPercentile: percentile)),
            Double(bridge[keyPath: phase].latency.value(atPercentile: percentile)))
    }
}
