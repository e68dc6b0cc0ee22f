public import Foundation
public import Prometheus

/// What the admin API's routes work on.
///
/// `fleet` is nil when no ComSat sessions run in this process (tests of the API alone);
/// `connected` then reads false for every ComSat.
public struct AdminAPIEnvironment: Sendable {
    public var home: ControllerHome
    public var store: any ControllerStore
    public var fleet: ComSatFleet?
    /// Rendered by `GET /metrics`.
    public var registry: PrometheusCollectorRegistry
    public var version: String
    public var startedAt: Date
    /// Called after a ComSat's key was pinned, so the fleet connects to it without waiting
    /// for its next retry round.
    public var comsatKeyPinned: @Sendable () -> Void

    public init(
        home: ControllerHome, store: any ControllerStore, fleet: ComSatFleet? = nil,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), version: String = ControllerConfiguration.version,
        startedAt: Date = Date(), comsatKeyPinned: @escaping @Sendable () -> Void = {}
    ) {
        self.home = home
        self.store = store
        self.fleet = fleet
        self.registry = registry
        self.version = version
        self.startedAt = startedAt
        self.comsatKeyPinned = comsatKeyPinned
    }
}
