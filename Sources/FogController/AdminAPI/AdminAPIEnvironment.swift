public import Foundation
public import Logging
public import Prometheus

/// What the admin API's routes work on.
///
/// `fleet` is nil when no ComSat sessions run in this process (tests of the API alone);
/// `connected` then reads false for every ComSat. `commands` is nil when no agent command
/// dispatcher runs; listings still work, changes to microservices, routes and links are
/// refused with `commandsUnavailable`.
public struct AdminAPIEnvironment: Sendable {
    public var home: ControllerHome
    public var store: any ControllerStore
    public var fleet: ComSatFleet?
    /// Routes, links and decommission; the dispatcher's link-secret handler must reach the
    /// same instance (`ControllerService.run` wires it).
    public var links: LinkService
    public var microservices: MicroserviceService
    /// Rendered by `GET /metrics`.
    public var registry: PrometheusCollectorRegistry
    public var version: String
    public var startedAt: Date
    /// Called after a ComSat's key was pinned, so the fleet connects to it without waiting
    /// for its next retry round.
    public var comsatKeyPinned: @Sendable () -> Void

    public init(
        home: ControllerHome, store: any ControllerStore, fleet: ComSatFleet? = nil, commands: (any AgentCommandSender)? = nil,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), version: String = ControllerConfiguration.version,
        startedAt: Date = Date(), logger: Logger = Logger(label: "fogfabric.controller"),
        comsatKeyPinned: @escaping @Sendable () -> Void = {}
    ) {
        self.home = home
        self.store = store
        self.fleet = fleet
        links = LinkService(store: store, fleet: fleet, commands: commands, logger: logger)
        microservices = MicroserviceService(store: store, commands: commands, logger: logger)
        self.registry = registry
        self.version = version
        self.startedAt = startedAt
        self.comsatKeyPinned = comsatKeyPinned
    }
}
