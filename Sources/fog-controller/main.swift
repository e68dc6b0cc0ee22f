import ArgumentParser
import FogController
import Foundation
import Logging

/// `fog-controller`: `init` makes a home, `run` serves the admin API and keeps the ComSat
/// sessions until SIGTERM/SIGINT. All work is in `FogController.ControllerService`.
struct FogControllerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fog-controller",
        abstract: "The FogFabric controller: provisions agents and places links on ComSats.",
        version: ControllerConfiguration.version,
        subcommands: [Init.self, Run.self]
    )
}

struct HomeOptions: ParsableArguments {
    @Option(help: "The controller's home directory (default: $FOG_CONTROLLER_HOME, else /var/lib/fogfabric/controller).")
    var home: String?

    var path: String { ControllerConfiguration.homePath(explicit: home) }
}

extension FogControllerCommand {
    struct Init: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the controller's keys, admin token and database in a new home directory.")

        @OptionGroup var options: HomeOptions

        func run() async throws {
            let logger = Logger(label: "fogfabric.controller") { _ in SwiftLogNoOpLogHandler() }
            do {
                let home = try ControllerService.initialize(at: options.path, logger: logger)
                print(
                    """
                    controller home created at \(home.path)
                    controller id: \(home.controllerID)
                    signing public key: \(home.signingKey.publicKey)
                    admin token file: \(home.adminTokenPath) (mode 0600; fogctl reads it with --token-file or FOG_ADMIN_TOKEN_FILE)
                    next: fog-controller run --home \(home.path)
                    """)
            } catch {
                throw fail(error.message, hint: error.hint)
            }
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the admin API on loopback and keep every enrolled ComSat connected, until SIGTERM or SIGINT.")

        @OptionGroup var options: HomeOptions

        @Option(help: "Loopback address of the admin API; any other address is refused.")
        var adminHost = "127.0.0.1"

        @Option(help: "Port of the admin API; 0 picks a free one (printed at startup).")
        var adminPort = AdminAPIConfiguration.defaultPort

        @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
        var logLevel = "info"

        func validate() throws {
            guard Logger.Level(rawValue: logLevel) != nil else {
                throw ValidationError("unknown log level '\(logLevel)'")
            }
        }

        func run() async throws {
            let level = Logger.Level(rawValue: logLevel) ?? .info
            let configuration = ControllerConfiguration(
                homePath: options.path, admin: AdminAPIConfiguration(host: adminHost, port: adminPort), logLevel: level)
            do {
                try configuration.validate()
            } catch {
                throw fail(error.message, hint: error.hint)
            }
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
            let logger = Logger(label: "fogfabric.controller")
            let registry = MetricsBootstrap.prometheus()
            let host = adminHost
            do {
                try await ControllerService(configuration: configuration, logger: logger).run(registry: registry) { port in
                    // Tests and scripts read this line to find an ephemeral port.
                    let line = "admin api listening on \(host.contains(":") ? "[\(host)]" : host):\(port)\n"
                    FileHandle.standardOutput.write(Data(line.utf8))
                }
            } catch let error as ControllerError {
                throw fail(error.message, hint: error.hint)
            } catch let error as ControllerConfigurationError {
                throw fail(error.message, hint: error.hint)
            }
        }
    }
}

/// Prints an error and its hint to stderr; the returned exit code ends the process.
func fail(_ message: String, hint: String?) -> ExitCode {
    var text = "fog-controller: error: \(message)\n"
    if let hint { text += "hint: \(hint)\n" }
    FileHandle.standardError.write(Data(text.utf8))
    return .failure
}

/// In top-level code `main()` resolves to ParsableCommand's synchronous overload, which
/// refuses async commands; inside an async function the async one is chosen.
func runAsync() async {
    await FogControllerCommand.main()
}

await runAsync()
