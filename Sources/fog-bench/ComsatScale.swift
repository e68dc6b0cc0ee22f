import ArgumentParser
import FogBench

extension FogBenchCommand {
    /// Issue 7, scenario 2.
    struct ComsatScale: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "comsat-scale",
            abstract: "The most authenticated pairs (1 QoS 1 msg/s each) one ComSat holds, stepped up; bare Mosquitto at the same size."
        )

        @Option(help: "Comma-separated pair counts to hold in turn (capped at the broker's descriptor limit).")
        var pairsSteps = "2500,5000,7500,10000"

        @Option(help: "Seconds of each step's measured window.")
        var window = 20

        @Option(help: "Seconds between a step's connections being up and its window.")
        var settle = 2.0

        @Option(help: "Seconds after which a message counts as lost.")
        var deadline = 5.0

        @Option(help: "A step whose p99 latency exceeds this many milliseconds fails.")
        var p99Bound = 500.0

        @Option(help: "A step delivering less than this fraction within the deadline fails.")
        var minimumDelivery = 0.999

        @Option(help: "Pairs per load-generating process.")
        var pairsPerWorker = 2_500

        @Option(help: "Bytes per message (at least 20: sequence header).")
        var payloadSize = 64

        @Flag(help: "Measure bare Mosquitto at every step ComSat held, not only the largest.")
        var baselineEveryStep = false

        @Option(help: "Seconds the whole scenario may take.")
        var timeLimit = 360.0

        @Option(help: "Path of libcomsat.so (default: next to this executable).")
        var plugin: String?

        func validate() throws {
            guard let steps = parsedSteps, !steps.isEmpty else {
                throw ValidationError("--pairs-steps must be positive integers separated by commas")
            }
            guard window > 0, settle >= 0, deadline > 0, p99Bound > 0, timeLimit > 0 else {
                throw ValidationError("--window, --deadline, --p99-bound and --time-limit must be positive, --settle not negative")
            }
            guard minimumDelivery > 0, minimumDelivery <= 1 else { throw ValidationError("--minimum-delivery must be in (0, 1]") }
            guard pairsPerWorker > 0, pairsPerWorker <= 3_000 else {
                throw ValidationError("--pairs-per-worker must be 1 to 3000 (6,000 connections, 18,000 descriptors)")
            }
            guard payloadSize >= 20 else { throw ValidationError("--payload-size must be at least 20") }
        }

        private var parsedSteps: [Int]? {
            let values = pairsSteps.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard values.allSatisfy({ ($0 ?? 0) > 0 }) else { return nil }
            return values.compactMap { $0 }
        }

        func run() async throws {
            let configuration = ScaleConfiguration(
                steps: parsedSteps ?? [],
                window: .seconds(window),
                settle: .seconds(settle),
                deadline: .seconds(deadline),
                latencyBound: .milliseconds(p99Bound),
                minimumDeliveryRatio: minimumDelivery,
                pairsPerWorker: pairsPerWorker,
                payloadSize: payloadSize,
                comsatPlugin: plugin ?? BuiltProducts.comsatPlugin,
                workerExecutable: BuiltProducts.fogBench,
                baselineEveryStep: baselineEveryStep,
                timeLimit: .seconds(timeLimit)
            )
            let report = try await ScaleScenario(configuration: configuration).run(progress: Progress.line)
            print(report.summary, terminator: "")
            print(report.resultLine)
        }
    }
}
