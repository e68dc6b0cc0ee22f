/// Timing of the controller's command channel to its agents.
public struct AgentCommandConfiguration: Sendable {
    /// How long an unacknowledged command waits before it is sent again (as a fresh
    /// envelope) to an agent that is online or whose presence is unknown.
    public var retryInterval: Duration
    /// An online agent with no verified status for this long is recorded offline: three
    /// status intervals of the agent (30 s each by default), so one lost status is no outage.
    public var presenceTimeout: Duration
    /// Largest accepted difference between a reply's timestamp and the controller's clock,
    /// and how long reply nonces are remembered against replays.
    public var clockSkew: Duration
    /// Reply nonces remembered per agent within `clockSkew`; more replies than this in one
    /// window are refused (`replayWindowFull`) rather than risk accepting a replay.
    public var replayCapacity: Int
    /// Replies buffered between the ComSat sessions and the dispatcher; beyond it the
    /// newest are dropped and counted (a status or retry brings their content again).
    public var replyBufferLimit: Int

    public init(
        retryInterval: Duration = .seconds(5), presenceTimeout: Duration = .seconds(90),
        clockSkew: Duration = .seconds(120), replayCapacity: Int = 4_096, replyBufferLimit: Int = 16_384
    ) {
        self.retryInterval = retryInterval
        self.presenceTimeout = presenceTimeout
        self.clockSkew = clockSkew
        self.replayCapacity = replayCapacity
        self.replyBufferLimit = replyBufferLimit
    }
}
