import ArgumentParser
import FogController
import Foundation

/// `fogctl`: administers a controller over its loopback admin API. Requests, parsing and
/// tables live in `FogController.AdminClient`/`AdminTable`.
struct Fogctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fogctl",
        abstract: "Administer a FogFabric controller over its loopback API.",
        version: ControllerConfiguration.version,
        subcommands: [Agent.self, Comsat.self, Ms.self, Route.self, Link.self, Status.self]
    )
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The controller's admin API (default: $FOG_CONTROLLER_URL, else this).")
    var controller = ProcessInfo.processInfo.environment["FOG_CONTROLLER_URL"] ?? AdminClient.defaultControllerURL

    @Option(
        help: """
            File holding the admin token (default: $FOG_ADMIN_TOKEN_FILE, else admin.token in \
            $FOG_CONTROLLER_HOME or /var/lib/fogfabric/controller).
            """)
    var tokenFile: String?

    @Flag(help: "Print JSON for scripts instead of tables.")
    var json = false

    func client() throws(AdminClientError) -> AdminClient {
        let token = try AdminClient.readToken(path: tokenFile ?? AdminClient.defaultTokenPath())
        return try AdminClient(controllerURL: controller, token: token)
    }

    /// Prints `value` as JSON, or `table` for humans.
    func show(_ value: some Encodable, table: @autoclosure () -> String) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(value), as: UTF8.self))
        } else {
            print(table(), terminator: "")
        }
    }
}

/// Runs `body`, turning an `AdminClientError` into a message with a hint and exit code 1.
func reporting(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as AdminClientError {
        var text = "fogctl: error: \(error.message)\n"
        if let hint = error.hint { text += "hint: \(hint)\n" }
        FileHandle.standardError.write(Data(text.utf8))
        throw ExitCode.failure
    }
}

/// An absolute path for a file the controller will read (it has its own working directory).
func absolute(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.path
}

extension Fogctl {
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the controller's identity and ComSat health.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try reporting {
                let status = try global.client().status()
                try global.show(status, table: AdminTable.status(status))
            }
        }
    }

    struct Agent: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Provision, list and remove agents.", subcommands: [Add.self, Ls.self, Rm.self])
    }

    struct Comsat: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol and list ComSats.", subcommands: [Add.self, Ls.self, Pin.self])
    }
}

extension Fogctl.Agent {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a one-time provisioning key for a new agent.",
            discussion: """
                Prints the key once (the controller keeps only its hash) with the exact \
                'fog-agent provision' command to run on the edge node.
                """)

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Name of the agent (1...64 characters of A-Z a-z 0-9 . _ -).")
        var name: String

        @Option(help: "The agent's home ComSat (may be left out when exactly one is enrolled).")
        var comsat: String?

        @Option(help: "Minutes the key stays usable (default 20, at most 10080).")
        var lifetime: Int?

        func validate() throws {
            if let lifetime, !(1...10_080).contains(lifetime) {
                throw ValidationError("--lifetime must be 1...10080 minutes (at most 7 days)")
            }
        }

        func run() throws {
            try reporting {
                let result = try global.client().addAgent(
                    AgentProvisioningRequest(name: name, comsat: comsat, lifetimeSeconds: lifetime.map { $0 * 60 }))
                try global.show(result, table: AdminTable.provisioningKey(result))
            }
        }
    }

    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List provisioned agents.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try reporting {
                let agents = try global.client().agents()
                try global.show(AgentList(agents: agents), table: AdminTable.agents(agents))
            }
        }
    }
}

extension Fogctl.Comsat {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enrol a ComSat and write the plugin settings for its broker configuration.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Name of the ComSat (1...64 characters of A-Z a-z 0-9 . _ -).")
        var name: String

        @Option(help: "The ComSat's address, mqtts://HOST:PORT.")
        var url: String

        @Option(help: "PEM file of the CA that signed the ComSat's certificate.")
        var ca: String?

        @Option(help: "The ComSat's response key (text of its identity.key.pub), if already known.")
        var responseKey: String?

        @Option(help: "Grant journal path on the ComSat host (default /var/lib/fogfabric/comsat/grants.journal).")
        var grantStore: String?

        @Option(help: "Identity key path on the ComSat host (default /var/lib/fogfabric/comsat/identity.key).")
        var identityKey: String?

        @Option(help: "Write the plugin_opt_* lines to this file (created 0644) instead of standard output.")
        var output: String?

        func run() throws {
            try reporting {
                let result = try global.client().enrolComSat(
                    ComSatEnrolmentRequest(
                        name: name, url: url, caFile: ca.map(absolute), responseKey: responseKey, grantStorePath: grantStore,
                        identityKeyPath: identityKey))
                if let output {
                    do {
                        try Data(result.configurationLines.utf8).write(to: URL(fileURLWithPath: output))
                    } catch {
                        throw AdminClientError(
                            .localFileFailed, "ComSat '\(name)' was enrolled but writing \(output) failed: \(error)",
                            hint: "the lines are shown by `fogctl comsat add` only once; re-enrol under a new name")
                    }
                }
                if global.json {
                    try global.show(result, table: "")
                } else if let output {
                    print("enrolled ComSat '\(result.comsat.name)' (\(result.comsat.id)); plugin settings written to \(output)")
                    print("append them to the ComSat's comsat.conf after its plugin line, then pin its key with `fogctl comsat pin`")
                } else {
                    print(result.configurationLines, terminator: "")
                }
            }
        }
    }

    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List enrolled ComSats.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try reporting {
                let comsats = try global.client().comsats()
                try global.show(ComSatList(comsats: comsats), table: AdminTable.comsats(comsats))
            }
        }
    }

    struct Pin: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pin a ComSat's response key so the controller can verify it and connect.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Name of the ComSat.")
        var name: String

        @Option(help: "The ComSat's identity.key.pub file.")
        var keyFile: String

        func run() throws {
            try reporting {
                guard let data = FileManager.default.contents(atPath: keyFile) else {
                    throw AdminClientError(
                        .localFileFailed, "cannot read the key file \(keyFile)",
                        hint: "copy identity.key.pub from the ComSat host (the plugin writes it at first start)")
                }
                let summary = try global.client().pinComSatKey(name: name, responseKey: String(decoding: data, as: UTF8.self))
                try global.show(summary, table: AdminTable.comsats([summary]))
            }
        }
    }
}

Fogctl.main()
