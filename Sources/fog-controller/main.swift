import ArgumentParser

/// `fog-controller`: init and run arrive with the controller issue; the command exists so
/// deployment scripts and docs can name it.
struct FogControllerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fog-controller",
        abstract: "The FogFabric controller: provisions agents and places links on ComSats.",
        version: "0.1.0"
    )
}
FogControllerCommand.main()
