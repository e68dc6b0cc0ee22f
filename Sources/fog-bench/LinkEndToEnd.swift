import ArgumentParser
import FogBench

extension FogBenchCommand {
    /// Issue 5's benchmark: one link end to end vs. a Mosquitto bridge, and bytes on the wire.
    struct LinkEndToEnd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "link-e2e",
            abstract: "One FogFabric link end to end vs. a Mosquitto bridge (QoS 1, persistence), and bytes per reading vs. plain MQTT."
        )

        @Option(help: "Bytes per reading (at least 20: sequence header).")
        var readingSize = 32

        @Option(help: "Throughput phase: readings in flight end to end.")
        var window = 500

        @Option(help: "Seconds of traffic before each measured window.")
        var warmup = 2.0

        @Option(help: "Seconds of the measured throughput window.")
        var duration = 8.0

        @Option(help: "Latency phase rate, readings/s, both paths (default: --latency-load x the link's throughput).")
        var latencyRate: Double?

        @Option(help: "Fraction of the link's throughput offered in the latency phase.")
        var latencyLoad = 0.5

        @Option(help: "Seconds of the measured latency window.")
        var latencyDuration = 6.0

        @Option(help: "Bytes on the wire, single: readings sent one at a time.")
        var singleReadings = 200

        @Option(help: "Bytes on the wire, batched: readings sent in one burst.")
        var burstReadings = 2_000

        @Option(help: "Path of libcomsat.so (default: next to this executable).")
        var plugin: String?

        @Option(help: "Path of fog-link (default: next to this executable).")
        var fogLink: String?

        @Option(help: "Seconds after which the scenario fails.")
        var timeLimit = 600.0

        func validate() throws {
            guard timeLimit > 0 else { throw ValidationError("--time-limit must be positive") }
            guard readingSize >= 20 else { throw ValidationError("--reading-size must be at least 20") }
            guard window > 0, singleReadings > 0, burstReadings > 0 else {
                throw ValidationError("--window, --single-readings and --burst-readings must be positive")
            }
            guard warmup >= 0, duration > 0, latencyDuration > 0, latencyLoad > 0 else {
                throw ValidationError("--warmup must not be negative; --duration, --latency-duration and --latency-load must be positive")
            }
            if let latencyRate, latencyRate <= 0 { throw ValidationError("--latency-rate must be positive") }
        }

        func run() async throws {
            let configuration = LinkEndToEndConfiguration(
                readingSize: readingSize, window: window, warmup: .seconds(warmup), duration: .seconds(duration),
                latencyRate: latencyRate, latencyLoad: latencyLoad, latencyDuration: .seconds(latencyDuration),
                singleReadings: singleReadings, burstReadings: burstReadings,
                comsatPlugin: plugin ?? BuiltProducts.comsatPlugin, fogLink: fogLink ?? BuiltProducts.fogLink,
                timeLimit: .seconds(timeLimit))
            let report = try await LinkEndToEndScenario(configuration: configuration).run(progress: Progress.line)
            print(report.summary, terminator: "")
            print(report.resultLine)
        }
    }
}
