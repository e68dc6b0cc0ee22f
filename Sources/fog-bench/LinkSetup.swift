import ArgumentParser
import FogBench

extension FogBenchCommand {
    /// Scenario 4: link set-up and tear-down latency.
    struct LinkSetup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "link-setup",
            abstract: "Link set-up and tear-down latency: admin call until grants installed and first message delivered; removal until the old credentials are refused."
        )

        @Option(help: "Links to create, one per agent pair.")
        var links = 1_000

        @Option(help: "Simulated agents (real agent sessions); need links <= agents*(agents-1)/2.")
        var agents = 46

        @Option(help: "Admin calls (route additions, then removals) in flight at once.")
        var concurrency = 8

        @Option(help: "Path of libcomsat.so (default: next to this executable).")
        var plugin: String?

        @Option(help: "Seconds after which the scenario fails.")
        var timeLimit = 300.0

        @Option(help: "Milliseconds between reconnects with a removed link's old credentials.")
        var refusalPollMs = 10

        func validate() throws {
            guard links > 0, agents >= 2, concurrency > 0 else {
                throw ValidationError("--links and --concurrency must be positive, --agents at least 2")
            }
            guard timeLimit > 0, refusalPollMs > 0 else {
                throw ValidationError("--time-limit and --refusal-poll-ms must be positive")
            }
            guard agents * (agents - 1) / 2 >= links else {
                throw ValidationError("\(agents) agents make only \(agents * (agents - 1) / 2) distinct pairs")
            }
        }

        func run() async throws {
            let configuration = LinkSetupConfiguration(
                links: links, agents: agents, concurrency: concurrency, comsatPlugin: plugin ?? BuiltProducts.comsatPlugin,
                timeLimit: .seconds(timeLimit), refusalPollInterval: .milliseconds(refusalPollMs))
            let report = try await LinkSetupScenario(configuration: configuration).run(progress: Progress.line)
            print(report.summary, terminator: "")
            print(report.resultLine)
        }
    }
}
