internal import Foundation
public import Logging
public import Prometheus
internal import ServiceLifecycle
public import UnixSignals

/// `fog-controller`'s work: `initialize` makes a home, `run` serves until SIGTERM/SIGINT.
///
/// `run` is one `ServiceGroup` of the admin API, the provisioning service, the agent command
/// dispatcher and the ComSat fleet. A signal starts a graceful shutdown of all four, in that
/// order: the API stops accepting and finishes its requests, provisioning answers what it
/// already received, the dispatcher stops (its outbox is durable), the fleet stops retrying
/// and closes its sessions; then `run` returns.
public struct ControllerService: Sendable {
    public var configuration: ControllerConfiguration
    private let logger: Logger

    public init(configuration: ControllerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Creates a controller home (keys, id, admin token) and its database.
    /// - Throws: `.homeExists` if anything is at `path`.
    public static func initialize(at path: String, logger: Logger) throws(ControllerError) -> ControllerHome {
        let (home, _) = try ControllerHome.initialize(at: path)
        _ = try ControllerDatabase.open(path: home.databasePath, logger: logger)
        logger.notice("controller home created", metadata: ["fog.controller.id": "\(home.controllerID)", "fog.home": "\(home.path)"])
        return home
    }

    /// Runs until SIGTERM or SIGINT (or until `gracefulShutdownSignals` is empty and the
    /// task is cancelled).
    ///
    /// - Parameter onListening: called with the admin API's bound port once it accepts.
    /// - Throws: `ControllerConfigurationError` or `ControllerError` (home, database)
    ///   before anything starts; a service's failure afterwards.
    public func run(
        registry: PrometheusCollectorRegistry, gracefulShutdownSignals: [UnixSignal] = [.sigterm, .sigint],
        onListening: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        try configuration.validate()
        let home = try ControllerHome.open(at: configuration.homePath)
        let database = try ControllerDatabase.open(path: home.databasePath, logger: logger)
        var fleetLogger = logger
        fleetLogger[metadataKey: "fog.controller.id"] = "\(home.controllerID)"
        let fleet = ComSatFleet(home: home, store: database, configuration: configuration.comsatSession, logger: fleetLogger)
        let fleetService = ComSatFleetService(fleet: fleet, configuration: configuration, logger: fleetLogger)
        let provisioning = ProvisioningService(home: home, store: database, fleet: fleet, logger: fleetLogger)
        let dispatcher = AgentCommandDispatcher(
            home: home, store: database, fleet: fleet, configuration: configuration.agentCommands, logger: logger)
        // Every session the fleet connects, now or later, carries provisioning requests and
        // agent replies.
        await fleet.setSessionConnectedHandler { session throws(ControllerError) in
            try await provisioning.attach(session)
            try await dispatcher.attach(session)
        }
        let environment = AdminAPIEnvironment(
            home: home, store: database, fleet: fleet, commands: dispatcher, registry: registry, logger: fleetLogger,
            comsatKeyPinned: { fleetService.wake() })
        // Link halves' secret hashes (verified replies) become grants on the link's ComSat.
        let links = environment.links
        await dispatcher.setLinkSecretHandler { agentID, report in await links.secretReported(report, by: agentID) }
        let application = try buildAdminApplication(
            configuration: configuration.admin, environment: environment, logger: logger, onListening: onListening)
        // Shut down in reverse order: the API stops taking changes before the sessions close.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [
                .init(service: fleetService), .init(service: AgentCommandLifecycle(dispatcher: dispatcher)),
                .init(service: ProvisioningLifecycle(provisioning: provisioning)), .init(service: application),
            ],
            gracefulShutdownSignals: gracefulShutdownSignals, logger: logger)
        // A ComSat that hangs mid-command must not keep the process alive: after this the
        // remaining work is cancelled.
        groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdownTimeout
        let group = ServiceGroup(configuration: groupConfiguration)
        logger.info(
            "controller starting",
            metadata: [
                "fog.controller.id": "\(home.controllerID)", "fog.home": "\(home.path)",
                "fog.version": "\(ControllerConfiguration.version)",
            ])
        try await group.run()
        logger.info("controller stopped")
    }
}
