internal import Foundation
public import Logging

/// How `fog-controller run` runs: a `Sendable` struct of settings with defaults, as
/// Hummingbird's `ApplicationConfiguration`.
public struct ControllerConfiguration: Sendable {
    /// The FogFabric release this controller belongs to, reported by `GET /v1/status`.
    public static let version = "0.1.0"

    /// The home used when neither `--home` nor `FOG_CONTROLLER_HOME` names one.
    public static let defaultHomePath = "/var/lib/fogfabric/controller"

    /// The home to use: `explicit` (from `--home`), else `FOG_CONTROLLER_HOME`, else
    /// `defaultHomePath` (`environment` nil reads the process's); made absolute against the working directory, so the paths the
    /// controller prints and records stay valid from anywhere.
    public static func homePath(
        explicit: String?, environment: [String: String]? = nil
    ) -> String {
        let environment = environment ?? ProcessInfo.processInfo.environment
        let chosen = explicit ?? environment["FOG_CONTROLLER_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultHomePath
        return URL(fileURLWithPath: chosen).standardizedFileURL.path
    }

    /// The controller's home directory (made by `fog-controller init`).
    public var homePath: String
    /// Where the admin API listens; loopback only.
    public var admin: AdminAPIConfiguration
    public var logLevel: Logger.Level
    /// Timeouts and reconnect policy of each ComSat session.
    public var comsatSession: ComSatSessionConfiguration
    /// First wait before retrying ComSats that could not be connected; doubles per round.
    public var fleetRetryInitial: Duration
    /// Longest wait between retry rounds.
    public var fleetRetryMaximum: Duration
    /// How often the fleet looks for newly enrolled ComSats when all are connected.
    public var fleetRefreshInterval: Duration
    /// Longest graceful shutdown before remaining work is cancelled.
    public var shutdownTimeout: Duration
    /// Retry interval, presence timeout and clock skew of the agent command channel.
    public var agentCommands = AgentCommandConfiguration()

    public init(
        homePath: String, admin: AdminAPIConfiguration = AdminAPIConfiguration(), logLevel: Logger.Level = .info,
        comsatSession: ComSatSessionConfiguration = ComSatSessionConfiguration(), fleetRetryInitial: Duration = .seconds(1),
        fleetRetryMaximum: Duration = .seconds(60), fleetRefreshInterval: Duration = .seconds(30), shutdownTimeout: Duration = .seconds(8)
    ) {
        self.homePath = homePath
        self.admin = admin
        self.logLevel = logLevel
        self.comsatSession = comsatSession
        self.fleetRetryInitial = fleetRetryInitial
        self.fleetRetryMaximum = fleetRetryMaximum
        self.fleetRefreshInterval = fleetRefreshInterval
        self.shutdownTimeout = shutdownTimeout
    }

    /// Checks every setting before anything starts.
    public func validate() throws(ControllerConfigurationError) {
        try admin.validate()
        guard fleetRetryInitial > .zero, fleetRetryMaximum >= fleetRetryInitial, fleetRefreshInterval > .zero, shutdownTimeout > .zero else {
            throw ControllerConfigurationError(
                .invalidValue, "fleet delays and the shutdown timeout must be positive, with retry maximum ≥ initial",
                hint: "fix fleetRetryInitial, fleetRetryMaximum, fleetRefreshInterval and shutdownTimeout")
        }
    }
}
