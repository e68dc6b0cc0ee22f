/// How the agent runs its local Mosquitto.
public struct LocalBusConfiguration: Sendable {
    /// The `mosquitto` executable; `nil` looks it up in `PATH`, `/usr/sbin`, `/usr/local/sbin`.
    public var mosquittoPath: String?
    /// The config template (`local-bus.conf`); `nil` searches `FOG_BUS_TEMPLATE`, next to the
    /// executable, `../share/fogfabric/`, `/etc/fogfabric/` and the source tree's
    /// `broker-config/` above the executable.
    public var templatePath: String?
    /// How long a start may take until Mosquitto reports itself running.
    public var startTimeout: Duration
    /// Attempts with a fresh port when another process took the chosen one first.
    public var bindAttempts: Int
    /// Restart delay after the bus died, doubled per consecutive failure up to `maximumRestartDelay`.
    public var restartDelay: Duration
    public var maximumRestartDelay: Duration
    /// Size bound of the bus log (`bus/mosquitto.log`, one rotated copy kept).
    public var logFileLimit: Int

    public init(
        mosquittoPath: String? = nil, templatePath: String? = nil, startTimeout: Duration = .seconds(10),
        bindAttempts: Int = 5, restartDelay: Duration = .milliseconds(200), maximumRestartDelay: Duration = .seconds(30),
        logFileLimit: Int = 1 << 20
    ) {
        self.mosquittoPath = mosquittoPath
        self.templatePath = templatePath
        self.startTimeout = startTimeout
        self.bindAttempts = bindAttempts
        self.restartDelay = restartDelay
        self.maximumRestartDelay = maximumRestartDelay
        self.logFileLimit = logFileLimit
    }
}
