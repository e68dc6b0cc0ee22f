import ArgumentParser
import FogBench

extension FogBenchCommand {
    /// Scenario 3: grant churn.
    struct ComsatGrants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "comsat-grants",
            abstract: "Grant churn: link grants installed then removed in batches through ComSat's control channel vs. Mosquitto's dynamic-security plugin."
        )

        @Option(help: "Link-half grants to install, then remove.")
        var grants = 10_000

        @Option(help: "Grants per control message.")
        var batchSize = 500

        @Option(help: "Grants the first/last per-grant costs average over.")
        var sample = 1_000

        @Option(help: "Path of libcomsat.so (default: next to this executable).")
        var plugin: String?

        @Option(help: "Path of Mosquitto's dynamic-security plugin.")
        var dynsecPlugin = GrantInstallConfiguration.defaultDynamicSecurityPlugin

        @Option(help: "Seconds after which the dynamic-security half sends no further batch, for installing and again for removing.")
        var dynsecBudget = 90.0

        @Option(help: "Seconds after which the scenario fails.")
        var timeLimit = 600.0

        @Flag(help: "Skip the ComSat half.")
        var skipComsat = false

        @Flag(help: "Skip the dynamic-security half.")
        var skipDynsec = false

        func validate() throws {
            guard grants > 0, batchSize > 0, sample > 0 else {
                throw ValidationError("--grants, --batch-size and --sample must be positive")
            }
            guard dynsecBudget > 0, timeLimit > 0 else { throw ValidationError("--dynsec-budget and --time-limit must be positive") }
        }

        func run() async throws {
            let configuration = GrantInstallConfiguration(
                grants: grants,
                batchSize: batchSize,
                sampleSize: sample,
                comsatPlugin: skipComsat ? nil : (plugin ?? BuiltProducts.comsatPlugin),
                dynamicSecurityPlugin: skipDynsec ? nil : dynsecPlugin,
                dynamicSecurityBudget: .seconds(dynsecBudget),
                timeLimit: .seconds(timeLimit)
            )
            let report = try await GrantInstallScenario(configuration: configuration).run(progress: Progress.line)
            print(report.summary, terminator: "")
            print(report.resultLine)
        }
    }
}
