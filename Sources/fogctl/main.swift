import ArgumentParser

/// `fogctl`: init and run arrive with the controller issue; the command exists so
/// deployment scripts and docs can name it.
struct Fogctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fogctl",
        abstract: "Administer a FogFabric controller over its loopback API.",
        version: "0.1.0"
    )
}
Fogctl.main()
