import ArgumentParser
import FogBench

extension FogBenchCommand {
    /// Issue 4's benchmark: links created per second end to end.
    struct LinkSetup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "link-setup",
            abstract: "Links created per second: admin call until both halves' grants are on the ComSat."
        )

        @Option(help: "Links to create, one per agent pair.")
        var links = 1_000

        @Option(help: "Simulated agents (real agent sessions); need links <= agents*(agents-1)/2.")
        var agents = 46

        @Option(help: "Route additions in flight at once.")
        var concurrency = 8

        @Option(help: "Path of libcomsat.so (default: next to this executable).")
        var plugin: String?

        func validate() throws {
            guard links > 0, agents >= 2, concurrency > 0 else {
                throw ValidationError("--links and --concurrency must be positive, --agents at least 2")
            }
            guard agents * (agents - 1) / 2 >= links else {
                throw ValidationError("\(agents) agents make only \(agents * (agents - 1) / 2) distinct pairs")
            }
        }

        func run() async throws {
            let configuration = LinkSetupConfiguration(
                links: links, agents: agents, concurrency: concurrency, comsatPlugin: plugin ?? BuiltProducts.comsatPlugin)
            let report = try await LinkSetupScenario(configuration: configuration).run(progress: Progress.line)
            print(report.summary, terminator: "")
            print(report.resultLine)
        }
    }
}
