import ArgumentParser
import FogLink
import Logging
import ServiceLifecycle

/// `fog-link`: one half of a FogFabric link, spawned by the agent (one process per side).
struct FogLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fog-link",
        abstract: "One half of a FogFabric link: end-to-end encrypted, disk-buffered forwarding through a ComSat.",
        version: "0.1.0",
        subcommands: [Run.self, Wipe.self]
    )
}

extension FogLinkCommand {
    /// Where the half's state is and how to reach the local bus.
    struct HalfOptions: ParsableArguments {
        @Option(help: "The half's state directory (HALF_DIR); the agent wrote 'assignment' there.")
        var dir: String

        @Option(help: "Local bus host.")
        var busHost = "127.0.0.1"

        @Option(help: "Local bus port.")
        var busPort: UInt16

        @Option(help: "Local bus username.")
        var busUsername: String?

        @Option(help: "File whose first line is the local bus password.")
        var busPasswordFile: String?

        @Option(help: "Client id on the local bus (default fog-link-<link>-<side>).")
        var busClientID: String?

        @Option(help: "Private topic on the local bus for the start-up probe (default fog-link/<link>/<side>/delivered).")
        var busMarkerTopic: String?

        @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
        var logLevel = "info"

        @Option(help: "Milliseconds to wait for the local bus to acknowledge an operation.")
        var busTimeoutMs: Int = 20_000

        func validate() throws {
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ValidationError("unknown log level '\(logLevel)'")
            }
            guard busTimeoutMs > 0 else {
                throw ValidationError("--bus-timeout-ms must be positive, got \(busTimeoutMs)")
            }
        }

        func logger() -> Logger {
            let level = Logger.Level(rawValue: logLevel) ?? .info
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            return Logger(label: "fogfabric.link")
        }

        func configuration(queueMaximumBytes: UInt64 = 256 << 20, lingerMilliseconds: Int = 2) -> LinkHalfConfiguration {
            LinkHalfConfiguration(
                directory: dir, busHost: busHost, busPort: busPort, busUsername: busUsername,
                busPasswordFile: busPasswordFile, busClientID: busClientID, busMarkerTopic: busMarkerTopic,
                queueMaximumBytes: queueMaximumBytes, linger: .milliseconds(lingerMilliseconds),
                busOperationTimeout: .milliseconds(busTimeoutMs))
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the half whose assignment is in --dir until SIGTERM.")

        @OptionGroup var options: HalfOptions

        @Option(help: "Bound on the outbound queue's unacknowledged bytes.")
        var queueMaxBytes: UInt64 = 256 << 20

        @Option(help: "Milliseconds the sender waits for more messages before sealing a frame.")
        var lingerMs: Int = 2

        func validate() throws {
            guard lingerMs >= 0 else { throw ValidationError("--linger-ms must not be negative") }
        }

        func run() async throws {
            let logger = options.logger()
            let half = try LinkHalf(
                configuration: options.configuration(queueMaximumBytes: queueMaxBytes, lingerMilliseconds: lingerMs),
                logger: logger)
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [.init(service: half)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }

    struct Wipe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "After the half stopped: clear its bus session, delete its queue, records and secrets.")

        @OptionGroup var options: HalfOptions

        func run() async throws {
            try await LinkHalf.wipe(configuration: options.configuration(), logger: options.logger())
        }
    }
}

/// In an async function the async `main()` overload wins over ParsableCommand's synchronous one.
func runAsync() async {
    await FogLinkCommand.main()
}

await runAsync()
