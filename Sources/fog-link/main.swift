import ArgumentParser

/// `fog-link`: init and run arrive with the agent issue; the command exists so
/// deployment scripts and docs can name it.
struct FogLinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fog-link",
        abstract: "One half of a FogFabric link: end-to-end encrypted, disk-buffered forwarding through a ComSat.",
        version: "0.1.0"
    )
}
FogLinkCommand.main()
