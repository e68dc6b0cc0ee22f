/// How `fog-agent run` runs its children.
public struct AgentRuntimeConfiguration: Sendable {
    public var bus: LocalBusConfiguration
    public var microserviceRestart: RestartPolicy
    public var linkHalfRestart: RestartPolicy
    /// Size bound of each child's log file (one rotated copy is kept besides it).
    public var logFileLimit: Int
    /// The `fog-link` executable; `nil` means `fog-link` next to the running executable.
    public var fogLinkPath: String?
    /// Passed to every link half as `--queue-max-bytes`; `nil` keeps fog-link's default.
    public var linkQueueMaximumBytes: Int?
    /// Passed to every link half as `--log-level`; `nil` keeps fog-link's default (info).
    public var linkLogLevel: String?

    public init(
        bus: LocalBusConfiguration = .init(), microserviceRestart: RestartPolicy = .init(),
        linkHalfRestart: RestartPolicy = .init(initialDelay: .seconds(1)), logFileLimit: Int = 1 << 20,
        fogLinkPath: String? = nil, linkQueueMaximumBytes: Int? = nil, linkLogLevel: String? = nil
    ) {
        self.bus = bus
        self.microserviceRestart = microserviceRestart
        self.linkHalfRestart = linkHalfRestart
        self.logFileLimit = logFileLimit
        self.fogLinkPath = fogLinkPath
        self.linkQueueMaximumBytes = linkQueueMaximumBytes
        self.linkLogLevel = linkLogLevel
    }
}
