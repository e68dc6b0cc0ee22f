/// Everything `MosquittoConnection` shares between callers and libmosquitto's loop thread.
///
/// - Important: Only touched inside `MosquittoConnection.state`'s mutex. Decisions are made
///   here; continuations are resumed and libmosquitto is called after the lock is released
///   (connection events are the one thing yielded under it, to keep their order).
struct ConnectionState {
    enum Phase: Equatable {
        /// Not connected; `connect()` may start an attempt.
        case idle
        /// `connect()` waits for the outcome of the first attempt.
        case connecting
        case connected
        /// The connection was lost and the policy is trying again; `number` counts attempts.
        case reconnecting(number: Int)
        /// `disconnect()` is closing the connection.
        case disconnecting
        /// Finished for good; the libmosquitto handle is destroyed.
        case closed
    }

    typealias ConnectContinuation = CheckedContinuation<Result<MQTTConnectResult, MQTTError>, Never>

    var phase: Phase = .idle
    /// Generation of the current connection attempt. Every new attempt and every abandoned
    /// one bumps it, so a timer or queued job from an older attempt sees it is stale.
    var attempt: UInt64 = 0
    /// The attempt whose connection the running loop thread serves; callbacks from any other
    /// (an abandoned attempt, a connection being torn down) are stale and ignored.
    var loopAttempt: UInt64?
    /// The caller of `connect()` waiting for CONNACK.
    var connectWaiter: ConnectContinuation?
    /// Last error or warning line libmosquitto logged (OpenSSL's reason for a TLS failure).
    var lastLibraryError: String?
    var pending = PendingOperations()
    /// Filters to subscribe again when a reconnect finds no session on the broker.
    var subscriptions: [String: MQTTQoS] = [:]
    /// SUBSCRIBEs sent by a resubscription, by message id, so their SUBACKs can be checked.
    var resubscriptions: [Int32: String] = [:]
    /// Topic aliases the broker accepts on the current connection (CONNACK); 0 = none.
    var topicAliasMaximum: UInt16 = 0
    /// A PUBLISH naming only a topic alias went to the current libmosquitto handle, so its
    /// queue must not be resent on another connection.
    var aliasOnlyPublishes = false
    /// Messages dropped because `messages` was full; logged at 1, 10, 100, ... drops.
    var droppedMessages = 0
}
