import ArgumentParser
import FogBench

extension FogBenchCommand {
    /// The load-generating process `comsat-scale` starts; not for people.
    struct SwarmWorkerCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "swarm-worker",
            abstract: "Internal: drive a share of comsat-scale's pairs and report on stdout.",
            shouldDisplay: false
        )

        @Option(help: "File of pairs written by comsat-scale.")
        var pairsFile: String

        @Option(help: "Bytes per message.")
        var payloadSize = 64

        @Option(help: "Seconds between one pair's messages.")
        var interval = 1.0

        @Option(help: "Seconds after which a message counts as lost.")
        var deadline = 5.0

        @Option(help: "Seconds to connect and subscribe every pair.")
        var setupTimeout = 120.0

        @Option(help: "Seconds after which the worker stops on its own.")
        var lifetime = 600.0

        func run() throws {
            try SwarmWorker(
                pairsFile: pairsFile, payloadSize: payloadSize, interval: .seconds(interval), deadline: .seconds(deadline),
                setupTimeout: .seconds(setupTimeout), lifetime: .seconds(lifetime)
            ).run()
        }
    }
}
