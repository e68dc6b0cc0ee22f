import ArgumentParser
import FogAgent
import Foundation
import Logging

/// `fog-agent`: the FogFabric edge agent. `provision` turns this node into an agent with a
/// one-time key; `run` runs it.
struct FogAgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fog-agent",
        abstract: "The FogFabric edge agent: outbound-only supervisor of microservices and link halves.",
        version: "0.1.0",
        subcommands: [Provision.self, Run.self]
    )
}

extension FogAgentCommand {
    struct Provision: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Become an agent using a one-time provisioning key from 'fogctl agent add NAME'.",
            discussion: """
                Generates this node's keys and MQTT secret locally (they never leave it), proves \
                possession to the controller through the ComSat and stores the controller's pinned \
                keys in the state directory (0700, files 0600).
                """
        )

        @Option(name: .long, help: "The provisioning key (fogkey1.…). Prefer FOG_PROVISIONING_KEY to keep it out of ps.")
        var key: String?

        @Option(name: .long, help: "The ComSat to provision through, mqtts://HOST:PORT.")
        var comsat: String

        @Option(name: .long, help: "CA certificate (PEM) that signed the ComSat's certificate.")
        var ca: String?

        @Option(name: .long, help: "State directory.")
        var state: String = "/var/lib/fogfabric/agent"

        @Option(name: .long, help: "Seconds to wait for the controller's answer per attempt (3 attempts).")
        var timeout: Int = 10

        @Flag(name: .long, help: "Log progress to stderr.")
        var verbose = false

        func run() async throws {
            guard let token = key ?? ProcessInfo.processInfo.environment["FOG_PROVISIONING_KEY"] else {
                throw ValidationError("give the provisioning key with --key KEY or FOG_PROVISIONING_KEY")
            }
            guard timeout > 0 else { throw ValidationError("--timeout must be at least 1 second") }
            var logger = Logger(label: "fogfabric.agent")
            logger.logLevel = verbose ? .debug : .warning
            let provisioner = AgentProvisioner(
                stateDirectory: state,
                configuration: AgentProvisioningConfiguration(attemptTimeout: .seconds(timeout)), logger: logger)
            do {
                let result = try await provisioner.provision(token: token, comsatURL: comsat, caFile: ca)
                print("provisioned as agent \(result.agentID)")
                print("controller \(result.controllerID), home ComSat \(result.comsatURL)")
                print("state written to \(state)")
            } catch {
                FileHandle.standardError.write(Data("fog-agent: error: \(error.message)\nhint: \(error.hint)\n".utf8))
                throw ExitCode(2)
            }
        }
    }
}

extension FogAgentCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the agent: local bus, microservices and link halves, from the last known state.",
            discussion: """
                Listens on 127.0.0.1 only (the local bus). Keeps running its last known \
                microservices and link halves while the controller or the network is gone. \
                SIGTERM or SIGINT stops every child, then the bus.
                """
        )

        @Option(name: .long, help: "State directory (made by 'fog-agent provision').")
        var state: String = "/var/lib/fogfabric/agent"

        @Option(name: .customLong("fog-link"), help: "The fog-link executable (default: next to fog-agent).")
        var fogLink: String?

        @Option(name: .customLong("bus-template"), help: "The local bus template (default: local-bus.conf search path).")
        var busTemplate: String?

        @Flag(name: .long, help: "Log debug detail, also in the link halves' logs.")
        var verbose = false

        func run() async throws {
            LoggingSystem.bootstrap(StreamLogHandler.standardError)
            var logger = Logger(label: "fogfabric.agent")
            logger.logLevel = verbose ? .debug : .info
            var configuration = AgentRuntimeConfiguration(fogLinkPath: fogLink, linkLogLevel: verbose ? "debug" : nil)
            configuration.bus.templatePath = busTemplate
            do {
                try await AgentRunner.run(stateDirectory: state, configuration: configuration, logger: logger)
            } catch {
                FileHandle.standardError.write(Data("fog-agent: error: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }
}

/// In top-level code `main()` resolves to ParsableCommand's synchronous overload, which
/// refuses async commands; inside an async function the async one is chosen.
func runAsync() async {
    await FogAgentCommand.main()
}

await runAsync()
