/// What an agent session did since it started, for tests and diagnostics; the same numbers
/// are exported through swift-metrics.
public struct AgentSessionCounters: Sendable, Hashable {
    /// Commands carried out with result `applied`.
    public var applied = 0
    /// Commands consumed with result `failed`.
    public var failed = 0
    /// Re-deliveries of commands already applied, acknowledged `alreadyApplied`.
    public var duplicates = 0
    /// Messages on the command topic refused, by reason; none of them was applied.
    public var refused: [AgentCommandError.Code: Int] = [:]
    /// Status messages published.
    public var statuses = 0
    /// Replies (acknowledgements, statuses, reports) that could not be published.
    public var unsentReplies = 0

    public init() {}

    public var refusedTotal: Int { refused.values.reduce(0, +) }
}
