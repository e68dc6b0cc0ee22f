internal import CMosquitto
import Dispatch
import FogCore
import Glibc
import Logging
import Synchronization

/// The libmosquitto handle behind an `MQTTClient`, and the state machine around it.
///
/// Three kinds of thread meet here:
/// - callers of the async API, which decide under `state`'s lock and wait on continuations;
/// - libmosquitto's loop thread (`mosquitto_loop_start`), which runs the C callbacks;
/// - `queue`, a serial queue that makes every libmosquitto call Swift initiates, one at a
///   time: a connection attempt blocks for the TCP handshake, and the handle must not be
///   destroyed while another call uses it.
///
/// Rules that keep this deadlock-free: nothing calls libmosquitto or resumes a
/// continuation while holding the lock (libmosquitto may call back into `state`), and
/// nothing waits for `queue` from the loop thread (the queue joins the loop thread).
///
/// Reconnection is ours, not libmosquitto's: every unexpected `on_disconnect` calls
/// `mosquitto_disconnect`, which makes the loop thread exit instead of retrying on its
/// own fixed schedule (and instead of retrying a refused CONNACK forever); the next attempt
/// is scheduled by `MQTTReconnectPolicy`, joins the old loop thread and starts a new one.
final class MosquittoConnection: Sendable {
    let configuration: MQTTConfiguration
    let logger: Logger
    let metrics = MQTTMetrics()
    let state = Mutex(ConnectionState())
    let messageSink: AsyncStream<MQTTMessage>.Continuation
    let eventSink: AsyncStream<MQTTConnectionEvent>.Continuation
    /// Takes messages instead of `messageSink` when set (see `MQTTClient.SynchronousHandler`).
    let synchronousHandler: MQTTClient.SynchronousHandler?
    let queue: DispatchQueue
    let storage = HandleStorage()

    init(
        configuration: MQTTConfiguration,
        logger: Logger,
        messageSink: AsyncStream<MQTTMessage>.Continuation,
        eventSink: AsyncStream<MQTTConnectionEvent>.Continuation,
        synchronousHandler: MQTTClient.SynchronousHandler? = nil
    ) {
        self.configuration = configuration
        var logger = logger
        // Client ids of link halves and sweeps are ephemeral identifiers: logs carry an alias.
        logger[metadataKey: "mqtt.client"] = "\(LogAlias.of(configuration.clientID))"
        logger[metadataKey: "mqtt.broker"] = "\(configuration.brokerAddress)"
        self.logger = logger
        self.messageSink = messageSink
        self.eventSink = eventSink
        self.synchronousHandler = synchronousHandler
        queue = DispatchQueue(label: "fogfabric.mqtt.\(configuration.clientID)")
    }

    /// "client ~alias at host:port", for error messages: they end up in logs, which must not
    /// keep a link half's client id after its decommission.
    var identity: String {
        "client \(LogAlias.of(configuration.clientID)) at \(configuration.brokerAddress)"
    }

    var isConnected: Bool {
        state.withLock { $0.phase == .connected }
    }

    // MARK: - Connecting

    func connect() async throws(MQTTError) -> MQTTConnectResult {
        try validateConfiguration()
        let generation = try state.withLock { state throws(MQTTError) -> UInt64 in
            switch state.phase {
            case .idle:
                state.phase = .connecting
                state.attempt &+= 1
                return state.attempt
            case .connected:
                throw MQTTError(.invalidArgument, "\(identity) is already connected")
            case .connecting, .reconnecting:
                throw MQTTError(.invalidArgument, "\(identity) is already connecting")
            case .disconnecting, .closed:
                throw MQTTError(.disconnected, "\(identity) was disconnected; create a new client")
            }
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: ConnectionState.ConnectContinuation) in
                let waiting = state.withLock { state in
                    guard state.attempt == generation, state.phase == .connecting else {
                        return false
                    }
                    state.connectWaiter = continuation
                    return true
                }
                guard waiting else {
                    continuation.resume(returning: .failure(MQTTError(.cancelled, "connect of \(identity) cancelled")))
                    return
                }
                startAttempt(generation)
            }
        } onCancel: {
            let effects = state.withLock { state in
                state.attempt == generation
                    ? failAttempt(&state, MQTTError(.cancelled, "connect of \(identity) cancelled"), permanent: true)
                    : []
            }
            apply(effects)
        }
        return try result.get()
    }

    private func validateConfiguration() throws(MQTTError) {
        let configuration = configuration
        if configuration.host.isEmpty || configuration.port == 0 {
            throw MQTTError(.invalidArgument, "broker address '\(configuration.brokerAddress)' is incomplete")
        }
        if configuration.keepAlive != 0 && !(5...65535).contains(configuration.keepAlive) {
            throw MQTTError(.invalidArgument, "keepAlive \(configuration.keepAlive) of \(identity) must be 0 or 5...65535 seconds")
        }
        if !configuration.cleanStart && configuration.clientID.isEmpty {
            throw MQTTError(.invalidArgument, "a session to resume (cleanStart false) needs a client id; broker \(configuration.brokerAddress)")
        }
        if let tls = configuration.tls, (tls.certFile == nil) != (tls.keyFile == nil) {
            throw MQTTError(.invalidArgument, "TLS client certificate and key of \(identity) must be given together")
        }
        if configuration.incomingBufferLimit < 1 {
            throw MQTTError(.invalidArgument, "incomingBufferLimit of \(identity) must be positive")
        }
    }

    /// Queues attempt `generation` and arms its `connectTimeout`.
    func startAttempt(_ generation: UInt64) {
        queue.async { self.connectOnQueue(generation) }
        let timeout = configuration.connectTimeout
        Task { [weak self] in
            do {
                try await Task.sleep(for: timeout)
            } catch {
                return
            }
            self?.attemptTimedOut(generation, after: timeout)
        }
    }

    private func attemptTimedOut(_ generation: UInt64, after timeout: Duration) {
        let effects = state.withLock { state -> [Effect] in
            guard state.attempt == generation else {
                return []
            }
            switch state.phase {
            case .connecting, .reconnecting:
                let error = MQTTError(.timeout, "no CONNACK for \(identity) within \(timeout)")
                return failAttempt(&state, error, permanent: false)
            default:
                return []
            }
        }
        apply(effects)
    }

    /// Runs on `queue`: joins the previous loop thread, connects, starts a new loop thread.
    private func connectOnQueue(_ generation: UInt64) {
        stopLoopOnQueue()
        let current = state.withLock { state -> Bool in
            guard state.attempt == generation else {
                return false
            }
            switch state.phase {
            case .connecting, .reconnecting:
                state.lastLibraryError = nil
                state.loopAttempt = generation
                return true
            default:
                return false
            }
        }
        guard current else {
            return
        }
        storage.topicAliases = [:]
        if state.withLock({ state in
            defer { state.aliasOnlyPublishes = false }
            state.topicAliasMaximum = 0
            return state.aliasOnlyPublishes
        }), let stale = storage.pointer {
            // Its queue holds PUBLISHes naming aliases of the lost connection.
            mosquitto_destroy(stale)
            storage.pointer = nil
            mosquitto_property_free_all(&storage.connectProperties)
        }
        let handle: OpaquePointer
        do {
            handle = try handleOnQueue()
        } catch {
            apply(state.withLock { failAttempt(&$0, error, permanent: true, ifCurrent: generation) })
            return
        }
        logger.debug("MQTT connecting")
        let rc = mosquitto_connect_bind_v5(
            handle, configuration.host, Int32(configuration.port), configuration.keepAlive, nil,
            storage.connectProperties)
        let savedErrno = errno
        guard rc == MosquittoLibrary.success else {
            let (error, permanent) = connectFailure(rc, errno: savedErrno)
            apply(state.withLock { failAttempt(&$0, error, permanent: permanent, ifCurrent: generation) })
            return
        }
        let loopRC = mosquitto_loop_start(handle)
        guard loopRC == MosquittoLibrary.success else {
            mosquitto_disconnect(handle)
            let error = MQTTError(.internalError, "cannot start the network thread of \(identity)", mosquittoCode: loopRC)
            apply(state.withLock { failAttempt(&$0, error, permanent: true, ifCurrent: generation) })
            return
        }
        storage.loopRunning = true
    }

    private func connectFailure(_ rc: Int32, errno savedErrno: Int32) -> (MQTTError, permanent: Bool) {
        let reason = MosquittoLibrary.describe(rc, errno: savedErrno)
        switch rc {
        case MOSQ_ERR_TLS.rawValue, MOSQ_ERR_TLS_HANDSHAKE.rawValue:
            let detail = state.withLock { $0.lastLibraryError }.map { ": \($0)" } ?? ""
            return (MQTTError(.tls, "TLS set-up for \(identity) failed\(detail)", mosquittoCode: rc), true)
        case MOSQ_ERR_INVAL.rawValue:
            return (MQTTError(.invalidArgument, "libmosquitto rejected the connection parameters of \(identity)", mosquittoCode: rc), true)
        case MOSQ_ERR_NOMEM.rawValue:
            return (MQTTError(.internalError, "out of memory connecting \(identity)", mosquittoCode: rc), false)
        case MOSQ_ERR_EAI.rawValue:
            return (MQTTError(.brokerUnreachable, "cannot resolve broker host for \(identity): \(reason)", mosquittoCode: rc), false)
        default:
            return (MQTTError(.brokerUnreachable, "cannot reach broker for \(identity): \(reason)", mosquittoCode: rc), false)
        }
    }

    /// Ends attempt `state.attempt` with `error`: the first `connect()` reports it, a
    /// reconnection tries again unless `permanent` or out of attempts.
    func failAttempt(
        _ state: inout ConnectionState, _ error: MQTTError, permanent: Bool, ifCurrent generation: UInt64? = nil
    ) -> [Effect] {
        if let generation, generation != state.attempt {
            return []
        }
        switch state.phase {
        case .connecting:
            state.phase = .idle
            state.attempt &+= 1
            var effects: [Effect] = [.stopLoop, .log(.info, "MQTT connection failed", Self.metadata(error))]
            if let waiter = state.connectWaiter.take() {
                effects.append(.resumeConnect(waiter, .failure(error)))
            }
            return effects
        case .reconnecting(let number):
            state.attempt &+= 1
            if let policy = configuration.reconnect, !permanent,
                number < policy.maximumAttempts ?? .max
            {
                state.phase = .reconnecting(number: number + 1)
                return [
                    .stopLoop, .log(.debug, "MQTT reconnection attempt \(number) failed", Self.metadata(error)),
                    .scheduleReconnect(number: number + 1, generation: state.attempt),
                ]
            }
            state.phase = .idle
            let gaveUp = MQTTError(
                error.code, "gave up reconnecting \(identity) after \(number) attempts: \(error.message)",
                reasonCode: error.reasonCode, mosquittoCode: error.mosquittoCode)
            return [
                .stopLoop, .log(.info, "MQTT reconnection abandoned", Self.metadata(gaveUp)),
                .failWaiters(state.pending.removeAll(of: [.publish, .subscribe, .unsubscribe]), gaveUp),
            ]
        default:
            return []
        }
    }

    func scheduleReconnect(number: Int, generation: UInt64) {
        guard let policy = configuration.reconnect else {
            return
        }
        let delay = policy.delay(beforeAttempt: number)
        logger.debug(
            "MQTT reconnecting", metadata: ["mqtt.reconnect.attempt": "\(number)", "mqtt.reconnect.delay": "\(delay)"])
        Task { [weak self] in
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
            guard let self else {
                return
            }
            let due = self.state.withLock { $0.attempt == generation && $0.phase == .reconnecting(number: number) }
            if due {
                self.metrics.reconnectAttempts.increment()
                self.startAttempt(generation)
            }
        }
    }

    // MARK: - Operations

    /// Sends a request through `queue` and waits for its acknowledgement by message id,
    /// bounded by `operationTimeout` and cancellation.
    func perform(
        _ kind: PendingOperations.Kind,
        _ what: String,
        request: @escaping @Sendable (OpaquePointer, inout Int32) -> Int32
    ) async -> Result<PendingOperations.Completion, MQTTError> {
        let timeout = configuration.operationTimeout
        let id = state.withLock { $0.pending.allocate() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: PendingOperations.Continuation) in
                let timer = Task { [weak self] in
                    do {
                        try await Task.sleep(for: timeout)
                    } catch {
                        return
                    }
                    self?.abandon(id, MQTTError(.timeout, "\(what): no acknowledgement within \(timeout)"))
                }
                let waiter = PendingOperations.Waiter(kind: kind, continuation: continuation, timeout: timer)
                guard state.withLock({ $0.pending.register(id, waiter) }) else {
                    waiter.resume(.failure(MQTTError(.cancelled, "\(what) cancelled")))
                    return
                }
                queue.async { self.issueOnQueue(id, what, request) }
            }
        } onCancel: {
            state.withLock { $0.pending.cancel(id) }?.resume(.failure(MQTTError(.cancelled, "\(what) cancelled")))
        }
    }

    private func issueOnQueue(
        _ id: UInt64, _ what: String, _ request: @Sendable (OpaquePointer, inout Int32) -> Int32
    ) {
        guard let handle = storage.pointer else {
            abandon(id, MQTTError(.disconnected, "\(what): not connected"))
            return
        }
        var mid: Int32 = 0
        let rc = request(handle, &mid)
        guard rc == MosquittoLibrary.success else {
            abandon(id, operationFailure(rc, what))
            return
        }
        if let (waiter, completion) = state.withLock({ $0.pending.bind(id, mid: mid) }) {
            waiter.resume(.success(completion))
        }
    }

    private func abandon(_ id: UInt64, _ error: MQTTError) {
        state.withLock { $0.pending.remove(id) }?.resume(.failure(error))
    }

    private func operationFailure(_ rc: Int32, _ what: String) -> MQTTError {
        let reason = MosquittoLibrary.describe(rc)
        switch rc {
        case MOSQ_ERR_NO_CONN.rawValue, MOSQ_ERR_CONN_LOST.rawValue:
            return MQTTError(.disconnected, "\(what): \(identity) is not connected", mosquittoCode: rc)
        case MOSQ_ERR_INVAL.rawValue, MOSQ_ERR_MALFORMED_UTF8.rawValue, MOSQ_ERR_PAYLOAD_SIZE.rawValue,
            MOSQ_ERR_OVERSIZE_PACKET.rawValue, MOSQ_ERR_QOS_NOT_SUPPORTED.rawValue,
            MOSQ_ERR_RETAIN_NOT_SUPPORTED.rawValue:
            return MQTTError(.invalidArgument, "\(what) rejected by libmosquitto: \(reason)", mosquittoCode: rc)
        default:
            return MQTTError(.internalError, "\(what) failed: \(reason)", mosquittoCode: rc)
        }
    }

    // MARK: - Disconnecting

    /// Sends DISCONNECT, joins the loop thread, destroys the handle and finishes the streams.
    /// Pending operations fail with `.disconnected`. Bounded by `operationTimeout`.
    func disconnect() async {
        guard let effects = beginClosing() else {
            return
        }
        apply(effects)
        let timeout = configuration.operationTimeout
        // Bounded: the queue may still be inside a blocking connect to an unresponsive host.
        await withCheckedContinuation { continuation in
            let once = OneShot(continuation)
            let timer = Task {
                do {
                    try await Task.sleep(for: timeout)
                } catch {
                    return
                }
                once.resume()
            }
            queue.async {
                self.closeOnQueue()
                timer.cancel()
                once.resume()
            }
        }
        finishClosing()
    }

    /// `disconnect()` without waiting, for `MQTTClient.deinit`.
    func close() {
        guard let effects = beginClosing() else {
            return
        }
        apply(effects)
        queue.async { self.closeOnQueue() }
        finishClosing()
    }

    private func beginClosing() -> [Effect]? {
        state.withLock { state -> [Effect]? in
            switch state.phase {
            case .disconnecting, .closed:
                return nil
            default:
                break
            }
            let wasConnected = state.phase == .connected
            state.phase = .disconnecting
            state.attempt &+= 1
            state.loopAttempt = nil
            let error = MQTTError(.disconnected, "\(identity) is disconnecting")
            var effects: [Effect] = [.failWaiters(state.pending.removeAll(of: [.publish, .subscribe, .unsubscribe]), error)]
            if let waiter = state.connectWaiter.take() {
                effects.append(.resumeConnect(waiter, .failure(error)))
            }
            if wasConnected {
                emit(.disconnected(reason: .normalDisconnection))
            }
            return effects
        }
    }

    private func finishClosing() {
        state.withLock { $0.phase = .closed }
        logger.debug("MQTT client closed")
        messageSink.finish()
        eventSink.finish()
    }

    /// Runs on `queue`: a clean DISCONNECT (keeps a persistent session), then the handle goes.
    private func closeOnQueue() {
        guard let handle = storage.pointer else {
            return
        }
        if storage.loopRunning {
            // The loop thread writes the queued DISCONNECT, then sees the disconnected state
            // and exits, so the join below returns.
            mosquitto_disconnect_v5(handle, Int32(MQTTReasonCode.normalDisconnection.rawValue), nil)
            mosquitto_loop_stop(handle, false)
            storage.loopRunning = false
        }
        mosquitto_destroy(handle)
        storage.pointer = nil
        mosquitto_property_free_all(&storage.connectProperties)
    }

    /// Runs on `queue`: ends the current connection, if any, and joins its loop thread.
    func stopLoopOnQueue() {
        guard storage.loopRunning, let handle = storage.pointer else {
            return
        }
        state.withLock { $0.loopAttempt = nil }
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
        storage.loopRunning = false
    }

    // MARK: - Effects

    /// Work decided under the lock and carried out after it.
    enum Effect {
        case resumeConnect(ConnectionState.ConnectContinuation, Result<MQTTConnectResult, MQTTError>)
        case resume(PendingOperations.Waiter, Result<PendingOperations.Completion, MQTTError>)
        case failWaiters([PendingOperations.Waiter], MQTTError)
        /// Join the loop thread of an abandoned connection (on `queue`).
        case stopLoop
        case scheduleReconnect(number: Int, generation: UInt64)
        case resubscribe([String: MQTTQoS])
        case log(Logger.Level, Logger.Message, Logger.Metadata)
    }

    /// Yields a connection event. Called with the lock held, on purpose: events come from
    /// the loop thread and from callers, and only the lock orders them as the state changed.
    /// `yield` takes the stream's own lock and never calls back, so this cannot deadlock.
    func emit(_ event: MQTTConnectionEvent) {
        eventSink.yield(event)
    }

    func apply(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .resumeConnect(let continuation, let result):
                continuation.resume(returning: result)
            case .resume(let waiter, let result):
                waiter.resume(result)
            case .failWaiters(let waiters, let error):
                for waiter in waiters {
                    waiter.resume(.failure(error))
                }
            case .stopLoop:
                queue.async { self.stopLoopOnQueue() }
            case .scheduleReconnect(let number, let generation):
                scheduleReconnect(number: number, generation: generation)
            case .resubscribe(let filters):
                resubscribe(filters)
            case .log(let level, let message, let metadata):
                logger.log(level: level, message, metadata: metadata)
            }
        }
    }

    /// Log metadata describing `error`: code, message, reason code, libmosquitto code.
    static func metadata(_ error: MQTTError) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["mqtt.error": "\(error.code)", "mqtt.error.message": "\(error.message)"]
        if let reason = error.reasonCode {
            metadata["mqtt.reason"] = "\(reason)"
        }
        if let rc = error.mosquittoCode {
            metadata["mqtt.rc"] = "\(rc)"
        }
        return metadata
    }

    /// After a reconnect that found no session on the broker, subscriptions are gone there;
    /// restore them. A refusal is logged: there is no caller left to throw to.
    private func resubscribe(_ filters: [String: MQTTQoS]) {
        Task { [weak self] in
            for (filter, qos) in filters.sorted(by: { $0.key < $1.key }) {
                guard let self else {
                    return
                }
                do throws(MQTTError) {
                    _ = try await self.subscribe(filter, qos: qos)
                } catch {
                    self.apply([.log(.info, "MQTT resubscription failed", Self.metadata(error))])
                }
            }
        }
    }
}
