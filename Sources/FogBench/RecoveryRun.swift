/// One broker's restart in `comsat-recovery`; times in seconds from the moment the restart
/// began (SIGTERM, or SIGKILL after the database was saved).
struct RecoveryRun: Sendable {
    /// "comsat" or "bare".
    var name: String
    var links: Int
    /// Seconds to connect, subscribe, disconnect the receivers and publish the backlog.
    var setupSeconds: Double
    /// Seconds to install the grants; nil for bare.
    var grantSeconds: Double?
    /// Until the old process was gone.
    var stoppedSeconds: Double
    /// Until the new process accepted connections.
    var acceptingSeconds: Double
    /// Until the last half was connected again; nil if not within the timeout.
    var reconnectedSeconds: Double?
    /// Until the last backlog message arrived; nil if not within the timeout.
    var deliveredSeconds: Double?
    var halvesReconnected: Int
    var connectionAttempts: Int
    /// Backlog messages published (and acknowledged) before the restart.
    var backlogSent: Int
    var received: Int
    var lost: Int
    var duplicates: Int
    var rejectedPublishes: Int

    /// Every half back and every message delivered exactly once.
    var complete: Bool {
        reconnectedSeconds != nil && deliveredSeconds != nil && lost == 0 && duplicates == 0 && halvesReconnected == 2 * links
    }
}
