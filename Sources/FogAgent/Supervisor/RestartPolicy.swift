/// How a supervised process is restarted after it exits on its own.
///
/// The delay starts at `initialDelay`, doubles per consecutive crash up to `maximumDelay`, and
/// returns to `initialDelay` once a run lasted `stablePeriod`: a service that crashes once a
/// day restarts at once, a crash loop settles at one attempt per `maximumDelay`.
public struct RestartPolicy: Sendable, Hashable {
    public var initialDelay: Duration
    public var maximumDelay: Duration
    public var stablePeriod: Duration
    /// How long a stop waits after SIGTERM before SIGKILL.
    public var stopGrace: Duration

    public init(
        initialDelay: Duration = .milliseconds(500), maximumDelay: Duration = .seconds(60),
        stablePeriod: Duration = .seconds(60), stopGrace: Duration = .seconds(10)
    ) {
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.stablePeriod = stablePeriod
        self.stopGrace = stopGrace
    }

    /// The delay after `delay`.
    func next(after delay: Duration) -> Duration {
        min(delay * 2, maximumDelay)
    }
}
