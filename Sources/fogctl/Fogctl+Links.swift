import ArgumentParser
import FogController
import Foundation

extension Fogctl {
    struct Ms: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deploy, remove and list microservices.", subcommands: [Deploy.self, Rm.self, Ls.self])
    }

    struct Route: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Route one microservice's output to another's input, over a link.",
            subcommands: [Add.self, Rm.self, Ls.self])
    }

    struct Link: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List and remove links.", subcommands: [Ls.self, Rm.self])
    }
}

/// The `SOURCE TARGET` pair of `fogctl route add|rm`.
struct RouteArguments: ParsableArguments {
    @Argument(help: "The producer, AGENT/MICROSERVICE.")
    var source: String

    @Argument(help: "The consumer, AGENT/MICROSERVICE.")
    var target: String

    func validate() throws {
        for text in [source, target] where MicroserviceAddress(parsing: text) == nil {
            throw ValidationError("'\(text)' is not AGENT/MICROSERVICE")
        }
    }

    /// Both ends; `validate()` has checked they parse.
    var addresses: (MicroserviceAddress, MicroserviceAddress) {
        get throws {
            guard let from = MicroserviceAddress(parsing: source), let to = MicroserviceAddress(parsing: target) else {
                throw ValidationError("SOURCE and TARGET must be AGENT/MICROSERVICE")
            }
            return (from, to)
        }
    }
}

extension Fogctl.Ms {
    struct Deploy: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deploy a microservice to an agent (replaces a spec of the same name).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Name of the agent.")
        var agent: String

        @Argument(help: "Name of the microservice (1...64 characters of A-Z a-z 0-9 . _ -).")
        var name: String

        @Option(name: .customLong("exec"), help: "Absolute path of the executable on the agent's node.")
        var executable: String

        @Option(name: .customLong("arg"), parsing: .unconditionalSingleValue, help: "An argument (repeat for more).")
        var arguments: [String] = []

        @Option(name: .customLong("env"), help: "An environment variable K=V (repeat for more).")
        var environment: [String] = []

        @Option(help: "JSON handed to the process as FOG_CONFIG.")
        var config: String?

        func validate() throws {
            for entry in environment where !entry.contains("=") || entry.hasPrefix("=") {
                throw ValidationError("--env '\(entry)' must be NAME=VALUE")
            }
        }

        func run() throws {
            try reporting {
                var variables: [String: String] = [:]
                for entry in environment {
                    let parts = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    variables[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
                }
                let summary = try global.client().deployMicroservice(
                    MicroserviceDeployRequest(
                        agent: agent, name: name, executable: executable, arguments: arguments, environment: variables,
                        configuration: config))
                try global.show(summary, table: AdminTable.microservices([summary]))
            }
        }
    }

    struct Rm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a microservice from an agent (refused while routes use it).")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Name of the agent.")
        var agent: String

        @Argument(help: "Name of the microservice.")
        var name: String

        func run() throws {
            try reporting {
                let result = try global.client().removeMicroservice(agent: agent, name: name)
                try global.show(result, table: AdminTable.removal(result))
            }
        }
    }

    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List microservices with their agents' last reported state.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Only this agent's microservices.")
        var agent: String?

        func run() throws {
            try reporting {
                let list = try global.client().microservices(agent: agent)
                try global.show(MicroserviceList(microservices: list), table: AdminTable.microservices(list))
            }
        }
    }
}

extension Fogctl.Route {
    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Route SOURCE's output to TARGET's input.",
            discussion: """
                Creates the link between the two agents if there is none (on the least-loaded healthy \
                ComSat) or adds the route to the existing one.
                """)

        @OptionGroup var global: GlobalOptions

        @OptionGroup var route: RouteArguments

        func run() throws {
            try reporting {
                let (source, target) = try route.addresses
                let result = try global.client().addRoute(from: source, to: target)
                try global.show(result, table: AdminTable.routeAdded(result))
            }
        }
    }

    struct Rm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a route; the link goes too when it was its last.")

        @OptionGroup var global: GlobalOptions

        @OptionGroup var route: RouteArguments

        func run() throws {
            try reporting {
                let (source, target) = try route.addresses
                let result = try global.client().removeRoute(from: source, to: target)
                try global.show(result, table: AdminTable.removal(result))
            }
        }
    }

    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List routes.")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try reporting {
                let routes = try global.client().routes()
                try global.show(RouteList(routes: routes), table: AdminTable.routes(routes))
            }
        }
    }
}

extension Fogctl.Link {
    struct Ls: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List links: ComSat, state, routes and what each half last reported (never secrets).")

        @OptionGroup var global: GlobalOptions

        func run() throws {
            try reporting {
                let links = try global.client().links()
                try global.show(LinkList(links: links), table: AdminTable.links(links))
            }
        }
    }

    struct Rm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a link with its routes: revoke its grants and wipe both halves.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "The link's id (see `fogctl link ls`).")
        var id: String

        func run() throws {
            try reporting {
                let result = try global.client().removeLink(id: id)
                try global.show(result, table: AdminTable.removal(result))
            }
        }
    }
}

extension Fogctl.Agent {
    struct Rm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an agent with its microservices and links; revoke its grants.")

        @OptionGroup var global: GlobalOptions

        @Argument(help: "Name of the agent.")
        var name: String

        func run() throws {
            try reporting {
                let result = try global.client().removeAgent(name: name)
                try global.show(result, table: AdminTable.removal(result))
            }
        }
    }
}
