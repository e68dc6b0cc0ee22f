import ArgumentParser

/// `fog-agent`: init and run arrive with the agent issue; the command exists so
/// deployment scripts and docs can name it.
struct FogAgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fog-agent",
        abstract: "The FogFabric edge agent: outbound-only supervisor of microservices and link halves.",
        version: "0.1.0"
    )
}
FogAgentCommand.main()
