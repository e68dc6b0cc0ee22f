import ArgumentParser
import FogBench

extension FogBenchCommand {
    /// Scenario (a) of issue 3.
    struct ComsatDatapath: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "comsat-datapath",
            abstract: "QoS 1 pairs through bare Mosquitto and through Mosquitto + ComSat, in one run."
        )

        @Option(help: "Publisher/subscriber pairs, each on its own topic.")
        var pairs = 1_000

        @Option(help: "Times both brokers are measured (alternating which goes first); rounds are pooled.")
        var rounds = 3

        @Option(help: "Bytes per message (at least 20: sequence header).")
        var payloadSize = 64

        @Option(help: "Closed-loop phase: messages each pair keeps in flight.")
        var window = 1

        @Option(help: "Seconds of traffic before each measured window.")
        var warmup = 2.0

        @Option(help: "Seconds of the measured closed-loop window.")
        var duration = 6.0

        @Option(help: "Send exactly this many messages per pair in the closed loop instead of --duration.")
        var messagesPerPair: Int?

        @Option(help: "Open-loop phase rate, messages/s over all pairs (default: --latency-load x bare throughput).")
        var latencyRate: Double?

        @Option(help: "Fraction of bare throughput offered in the open-loop phase.")
        var latencyLoad = 0.5

        @Option(help: "Seconds of the measured open-loop window.")
        var latencyDuration = 4.0

        @Option(help: "Path of libcomsat.so (default: next to this executable).")
        var plugin: String?

        @Option(help: "Seconds after which the scenario fails.")
        var timeLimit = 600.0

        @Flag(help: "Measure bare Mosquitto only.")
        var bareOnly = false

        func validate() throws {
            guard pairs > 0, rounds > 0 else { throw ValidationError("--pairs and --rounds must be positive") }
            guard payloadSize >= 20 else { throw ValidationError("--payload-size must be at least 20") }
            guard window > 0 else { throw ValidationError("--window must be positive") }
            guard warmup >= 0, duration > 0, latencyDuration > 0 else {
                throw ValidationError("--warmup must not be negative; --duration and --latency-duration must be positive")
            }
            guard latencyLoad > 0 else { throw ValidationError("--latency-load must be positive") }
            guard timeLimit > 0 else { throw ValidationError("--time-limit must be positive") }
            if let messagesPerPair, messagesPerPair <= 0 {
                throw ValidationError("--messages-per-pair must be positive")
            }
        }

        func run() async throws {
            let configuration = DataPathConfiguration(
                pairs: pairs,
                rounds: rounds,
                payloadSize: payloadSize,
                window: window,
                warmup: .seconds(warmup),
                duration: .seconds(duration),
                messagesPerPair: messagesPerPair,
                latencyRate: latencyRate,
                latencyLoad: latencyLoad,
                latencyDuration: .seconds(latencyDuration),
                comsatPlugin: bareOnly ? nil : (plugin ?? BuiltProducts.comsatPlugin),
                timeLimit: .seconds(timeLimit)
            )
            let report = try await DataPathScenario(configuration: configuration).run(progress: Progress.line)
            print(report.summary, terminator: "")
            print(report.resultLine)
        }
    }
}
