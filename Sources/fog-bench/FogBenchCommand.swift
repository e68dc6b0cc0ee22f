import ArgumentParser

/// `fog-bench`: FogFabric's load generator and benchmark scenarios. Each subcommand runs one
/// scenario, prints progress to stderr, a table to stdout and, last, one `RESULT {...}` line.
@main
struct FogBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fog-bench",
        abstract: "FogFabric load generator and benchmark scenarios.",
        subcommands: [ComsatDatapath.self, ComsatGrants.self, LinkSetup.self, LinkEndToEnd.self, ComsatScale.self, ComsatRecovery.self, SwarmWorkerCommand.self]
    )
}
