/// What the dispatcher did since it started, for tests and status pages; the same numbers
/// are exported through swift-metrics (`AgentCommandMetrics`).
public struct AgentCommandCounters: Sendable, Hashable {
    /// Commands put in the outbox.
    public var queued = 0
    /// First publications of a command.
    public var sent = 0
    /// Publications of a command already published before (retries and resends on status).
    public var retried = 0
    /// Outbox rows removed by acknowledgements and statuses.
    public var acknowledged = 0
    /// Acknowledgements reporting that the agent could not carry a command out.
    public var failed = 0
    /// Verified status messages.
    public var statuses = 0
    /// Empty messages on a reply topic: the agent's MQTT will.
    public var wills = 0
    /// Replies refused, by reason (an `EnvelopeError` code, `unknownTopic`, `wrongComSat`,
    /// `malformed`).
    public var rejected: [String: Int] = [:]

    public init() {}

    /// Replies refused for any reason.
    public var rejectedTotal: Int { rejected.values.reduce(0, +) }
}
