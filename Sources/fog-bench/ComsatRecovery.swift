import ArgumentParser
import FogBench

extension FogBenchCommand {
    /// Issue 7, scenario 7.
    struct ComsatRecovery: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "comsat-recovery",
            abstract: "Links with a backlog across a ComSat restart: time until every half is back and the backlog delivered, vs. bare Mosquitto."
        )

        @Option(help: "Links (two halves each, persistent sessions).")
        var links = 1_000

        @Option(help: "Messages each link's sending half publishes while its receiving half is away.")
        var backlog = 20

        @Option(help: "Restarts of each broker (alternating which goes first); the report takes the medians.")
        var rounds = 5

        @Option(help: "Bytes per message (at least 20: sequence header).")
        var payloadSize = 64

        @Flag(help: "Restart with SIGKILL after a SIGUSR1 database save instead of SIGTERM.")
        var kill = false

        @Option(help: "Milliseconds before a half's first reconnection attempt (doubling, half jittered away).")
        var reconnectInitial = 200.0

        @Option(help: "Seconds a half's reconnection delay grows to at most.")
        var reconnectMaximum = 15.0

        @Option(help: "CONNECTs outstanding at once while reconnecting.")
        var maximumConnecting = 64

        @Option(help: "Seconds one broker's recovery may take.")
        var recoveryTimeout = 90.0

        @Option(help: "Seconds the whole scenario may take.")
        var timeLimit = 240.0

        @Option(help: "Path of libcomsat.so (default: next to this executable).")
        var plugin: String?

        func validate() throws {
            guard links > 0, backlog > 0, rounds > 0, maximumConnecting > 0 else {
                throw ValidationError("--links, --backlog, --rounds and --maximum-connecting must be positive")
            }
            guard links <= 3_000 else { throw ValidationError("--links must be at most 3000 (one process, 6 descriptors per link)") }
            guard payloadSize >= 20 else { throw ValidationError("--payload-size must be at least 20") }
            guard reconnectInitial > 0, reconnectMaximum > 0, recoveryTimeout > 0, timeLimit > 0 else {
                throw ValidationError("--reconnect-initial, --reconnect-maximum, --recovery-timeout and --time-limit must be positive")
            }
        }

        func run() async throws {
            let configuration = RecoveryConfiguration(
                links: links,
                backlog: backlog,
                rounds: rounds,
                payloadSize: payloadSize,
                kill: kill,
                reconnectInitialDelay: .milliseconds(reconnectInitial),
                reconnectMaximumDelay: .seconds(reconnectMaximum),
                maximumConnecting: maximumConnecting,
                comsatPlugin: plugin ?? BuiltProducts.comsatPlugin,
                recoveryTimeout: .seconds(recoveryTimeout),
                timeLimit: .seconds(timeLimit)
            )
            let report = try await RecoveryScenario(configuration: configuration).run(progress: Progress.line)
            print(report.summary, terminator: "")
            print(report.resultLine)
        }
    }
}
