/// The topics a microservice uses on its agent's local bus.
///
/// Fixed by the microservice's name, so the controller can build link routes without asking
/// the agent, and the agent's bus ACL can confine each microservice to exactly these two:
/// it publishes only its output and subscribes only to its input. Routes deliver into the
/// input topic, whatever link they arrive on.
public enum LocalBusTopic {
    /// What microservice `name` publishes: `ms/<name>/out`.
    public static func output(of name: String) -> String { "ms/\(name)/out" }

    /// What microservice `name` receives: `ms/<name>/in`.
    public static func input(of name: String) -> String { "ms/\(name)/in" }
}
