internal import CMosquitto
import Glibc

/// Thousands of MQTT v5 connections driven by one thread, for load generation.
///
/// A load generator must not be the bottleneck it measures, so there is no thread per
/// client and no async hop per message: every libmosquitto client is non-blocking
/// (`mosquitto_connect_async`), its socket sits in one level-triggered epoll set, and
/// `poll(timeout:handler:)` calls `mosquitto_loop_read`/`mosquitto_loop_write` for the
/// ready ones, `mosquitto_loop_misc` for all of them once a second (keepalive), and watches
/// for writability only while `mosquitto_want_write` says output is queued.
///
/// - Important: Not thread-safe. Create, use and drop a swarm on one thread (a dedicated
///   thread, not a Swift concurrency executor: `poll` blocks). Handlers run on that thread.
/// - Note: libmosquitto 2.0 opens a socket pair per client besides its TCP socket, so every
///   connection costs `descriptorsPerConnection` file descriptors; `add` refuses to go past
///   the process limit, which `raiseDescriptorLimit()` lifts to the hard limit.
public final class MQTTSwarm {
    /// File descriptors one connection holds: its TCP socket and libmosquitto's wake-up
    /// socket pair.
    public static let descriptorsPerConnection = 3
    /// Descriptors left for everything else in the process (epoll, stdio, logs, files).
    static let reservedDescriptors = 64

    private static let libraryInitialized: Bool = mosquitto_lib_init() == MOSQ_ERR_SUCCESS.rawValue

    var connections: [MQTTSwarmConnection] = []
    let poller: EventPoller
    /// The handler of the `poll` in progress; C callbacks forward to it.
    var activeHandler: (any MQTTSwarmHandler)?
    private let descriptorLimit: Int
    private var nextMaintenance: UInt64 = 0

    /// Connections with a CONNECT outstanding.
    public internal(set) var connectingCount = 0
    /// Connections the broker accepted that are still open.
    public internal(set) var connectedCount = 0
    /// SUBSCRIBEs without a SUBACK yet.
    public internal(set) var pendingSubscriptions = 0
    /// Connections that closed without the swarm asking, after CONNACK.
    public internal(set) var unexpectedDisconnects = 0
    var connectFailureCount = 0
    var firstConnectFailure: MQTTSwarmError?
    var subscriptionFailureCount = 0
    var firstSubscriptionFailure: MQTTSwarmError?
    var subscriptionTopics: [SubscriptionKey: String] = [:]

    struct SubscriptionKey: Hashable {
        var connection: Int
        var messageID: Int32
    }

    /// Raises the descriptor limit first (see `raiseDescriptorLimit()`).
    public init(maximumEventsPerPoll: Int = 1024) throws(MQTTSwarmError) {
        guard Self.libraryInitialized else {
            throw MQTTSwarmError(.clientSetup, "mosquitto_lib_init failed")
        }
        descriptorLimit = try Self.raiseDescriptorLimit()
        poller = try EventPoller(capacity: maximumEventsPerPoll)
    }

    deinit {
        for connection in connections {
            if let handle = connection.handle {
                mosquitto_destroy(handle)
                connection.handle = nil
            }
        }
    }

    /// Connections added so far; ids run from 0 to `count - 1`.
    public var count: Int { connections.count }

    /// The most connections this process can hold at its current descriptor limit.
    public var capacity: Int {
        max(0, (descriptorLimit - Self.reservedDescriptors) / Self.descriptorsPerConnection)
    }

    /// Creates the libmosquitto client of a new connection; nothing is sent until
    /// `connect(_:maximumPending:timeout:handler:)`.
    public func add(_ options: MQTTSwarmConnectionOptions) throws(MQTTSwarmError) -> MQTTSwarmConnectionID {
        guard connections.count < capacity else {
            throw MQTTSwarmError(
                .descriptorLimit,
                "cannot add connection '\(options.clientID)': \(connections.count) connections already use the "
                    + "descriptor limit of \(descriptorLimit) (\(Self.descriptorsPerConnection) per connection)"
            )
        }
        let id = MQTTSwarmConnectionID(index: connections.count)
        let connection = MQTTSwarmConnection(id: id, options: options, swarm: self)
        let userdata = Unmanaged.passUnretained(connection).toOpaque()
        guard let handle = mosquitto_new(options.clientID, options.sessionExpiry == nil, userdata) else {
            throw MQTTSwarmError(
                .clientSetup,
                "mosquitto_new failed for client '\(options.clientID)': \(String(cString: strerror(errno)))",
                systemError: errno
            )
        }
        connection.handle = handle
        // Appended before anything can fail, so deinit destroys the handle either way.
        connections.append(connection)
        try check(
            mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V5),
            .clientSetup, "setting MQTT v5 for client '\(options.clientID)'"
        )
        if options.username != nil || options.password != nil {
            try check(
                mosquitto_username_pw_set(handle, options.username, options.password),
                .clientSetup, "setting credentials for client '\(options.clientID)'"
            )
        }
        installCallbacks(on: handle)
        return id
    }

    /// Connects `ids`, at most `maximumPending` at a time, and returns once every one has
    /// its CONNACK.
    ///
    /// The bound keeps the broker's listen backlog (100 in Mosquitto 2.0) from overflowing:
    /// an overflow drops SYNs, which the kernel retries only after a second.
    /// - Throws: `.connectionRefused`/`.connectionLost` naming the first failed client and how
    ///   many failed, `.timeout` with how many are still waiting.
    public func connect(
        _ ids: [MQTTSwarmConnectionID],
        maximumPending: Int = 64,
        timeout: Duration,
        handler: some MQTTSwarmHandler
    ) throws(MQTTSwarmError) {
        let failuresBefore = connectFailureCount
        let connectedBefore = connectedCount
        let deadline = MonotonicClock.nanoseconds() + MonotonicClock.nanoseconds(of: timeout)
        var next = ids.startIndex
        while true {
            while connectingCount < max(1, maximumPending), next < ids.endIndex {
                try start(connections[ids[next].index])
                next += 1
            }
            if next == ids.endIndex, connectingCount == 0 {
                break
            }
            if MonotonicClock.nanoseconds() >= deadline {
                throw MQTTSwarmError(
                    .timeout,
                    "connecting \(ids.count) clients: \(connectedCount - connectedBefore) connected, "
                        + "\(connectingCount) still waiting for CONNACK, \(ids.endIndex - next) not started after \(timeout)"
                )
            }
            try poll(timeout: .milliseconds(50), handler: handler)
        }
        let failures = connectFailureCount - failuresBefore
        if failures > 0, var error = firstConnectFailure {
            error.message = "\(failures) of \(ids.count) connections failed; first: " + error.message
            throw error
        }
    }

    /// Starts one connection attempt of an idle or closed connection and returns without
    /// waiting: the CONNACK or the failure reaches the handler of a later `poll` (`connected`,
    /// or `disconnected` with an error). For clients that reconnect on their own schedule,
    /// e.g. with `MQTTReconnectPolicy` backoff after a broker restart.
    /// - Throws: `.connectFailed` when the TCP connection cannot even be started (for a
    ///   connection with a persistent session: when nothing listens on the port); `.clientSetup`
    ///   when the connection is already connecting or connected.
    public func startConnecting(_ id: MQTTSwarmConnectionID) throws(MQTTSwarmError) {
        let connection = connections[id.index]
        guard connection.state == .idle || connection.state == .closed else {
            throw MQTTSwarmError(.clientSetup, "client '\(connection.options.clientID)' is already connecting or connected")
        }
        try start(connection)
    }

    /// Whether the broker accepted `id`'s current connection and it is still open.
    public func isConnected(_ id: MQTTSwarmConnectionID) -> Bool {
        connections[id.index].state == .connected
    }

    /// Sends a SUBSCRIBE and returns its message id; `waitForSubscriptions` collects the
    /// SUBACKs.
    @discardableResult
    public func subscribe(_ connection: MQTTSwarmConnectionID, topic: String, qos: MQTTQoS) throws(MQTTSwarmError) -> Int32 {
        let target = connections[connection.index]
        guard target.state == .connected, let handle = target.handle else {
            throw MQTTSwarmError(.subscribeFailed, "client '\(target.options.clientID)' is not connected (subscribing to '\(topic)')")
        }
        var messageID: Int32 = 0
        try check(
            mosquitto_subscribe_v5(handle, &messageID, topic, Int32(qos.rawValue), 0, nil),
            .subscribeFailed, "client '\(target.options.clientID)' subscribing to '\(topic)'"
        )
        pendingSubscriptions += 1
        subscriptionTopics[SubscriptionKey(connection: connection.index, messageID: messageID)] = topic
        try watchWrites(of: target)
        return messageID
    }

    /// Polls until every SUBSCRIBE sent so far has its SUBACK.
    /// - Throws: `.subscriptionRefused` naming the first refused client and topic and how many
    ///   were refused; `.timeout`.
    public func waitForSubscriptions(timeout: Duration, handler: some MQTTSwarmHandler) throws(MQTTSwarmError) {
        let failuresBefore = subscriptionFailureCount
        try run(timeout: timeout, handler: handler, waitingFor: "SUBACKs") { pendingSubscriptions == 0 }
        let failures = subscriptionFailureCount - failuresBefore
        if failures > 0, var error = firstSubscriptionFailure {
            error.message = "\(failures) subscriptions refused; first: " + error.message
            throw error
        }
    }

    /// Queues a PUBLISH (written at once when the socket allows) and returns its message id.
    /// The outcome of QoS 1 and 2 arrives at the handler's `publishCompleted`.
    @discardableResult
    public func publish(
        _ connection: MQTTSwarmConnectionID,
        topic: String,
        payload: UnsafeRawBufferPointer,
        qos: MQTTQoS,
        retain: Bool = false
    ) throws(MQTTSwarmError) -> Int32 {
        let target = connections[connection.index]
        guard target.state == .connected, let handle = target.handle else {
            throw MQTTSwarmError(.publishFailed, "client '\(target.options.clientID)' is not connected (publishing to '\(topic)')")
        }
        var messageID: Int32 = 0
        let result = mosquitto_publish_v5(
            handle, &messageID, topic, Int32(payload.count), payload.baseAddress, Int32(qos.rawValue), retain, nil)
        if result != MOSQ_ERR_SUCCESS.rawValue {
            throw Self.failure(result, .publishFailed, "client '\(target.options.clientID)' publishing to '\(topic)'")
        }
        try watchWrites(of: target)
        return messageID
    }

    /// `publish` for a payload held in an array.
    @discardableResult
    public func publish(
        _ connection: MQTTSwarmConnectionID,
        topic: String,
        payload: [UInt8],
        qos: MQTTQoS,
        retain: Bool = false
    ) throws(MQTTSwarmError) -> Int32 {
        let result = payload.withUnsafeBytes { bytes in
            Result { () throws(MQTTSwarmError) -> Int32 in
                try publish(connection, topic: topic, payload: bytes, qos: qos, retain: retain)
            }
        }
        return try result.get()
    }

    /// Sends DISCONNECT on every open connection and polls until all are closed.
    public func disconnectAll(timeout: Duration, handler: some MQTTSwarmHandler) throws(MQTTSwarmError) {
        try disconnect(connections.map(\.id), timeout: timeout, handler: handler)
        try run(timeout: timeout, handler: handler, waitingFor: "DISCONNECTs to complete") {
            connectedCount == 0 && connectingCount == 0
        }
    }

    /// Sends DISCONNECT (normal disconnection: a persistent session stays on the broker) on
    /// those of `ids` that are connected and polls until they are closed.
    public func disconnect(_ ids: [MQTTSwarmConnectionID], timeout: Duration, handler: some MQTTSwarmHandler) throws(MQTTSwarmError) {
        // libmosquitto may close the connection inside mosquitto_disconnect_v5; the handler
        // hears about it then too.
        activeHandler = handler
        defer { activeHandler = nil }
        var closing: [MQTTSwarmConnection] = []
        for id in ids {
            let connection = connections[id.index]
            guard connection.state == .connected, let handle = connection.handle else { continue }
            connection.state = .disconnecting
            closing.append(connection)
            mosquitto_disconnect_v5(handle, 0, nil)
            if connection.socket >= 0 {
                try watchWrites(of: connection)
            }
        }
        try run(timeout: timeout, handler: handler, waitingFor: "\(closing.count) DISCONNECTs to complete") {
            closing.allSatisfy { $0.state == .closed }
        }
    }

    /// Polls until `condition` holds.
    /// - Throws: `.timeout` naming `what` when `timeout` passes first.
    public func run(
        timeout: Duration,
        handler: some MQTTSwarmHandler,
        waitingFor what: String,
        until condition: () -> Bool
    ) throws(MQTTSwarmError) {
        let deadline = MonotonicClock.nanoseconds() + MonotonicClock.nanoseconds(of: timeout)
        while !condition() {
            let now = MonotonicClock.nanoseconds()
            guard now < deadline else {
                throw MQTTSwarmError(.timeout, "waiting for \(what) timed out after \(timeout)")
            }
            let remainingMilliseconds = (deadline - now) / 1_000_000
            try poll(timeout: .milliseconds(min(50, max(1, remainingMilliseconds))), handler: handler)
        }
    }

    /// One pass of the event loop: waits up to `timeout` for socket readiness, lets
    /// libmosquitto read and write the ready sockets (calling `handler` for what arrives),
    /// and runs keepalive maintenance when it is due.
    public func poll(timeout: Duration, handler: some MQTTSwarmHandler) throws(MQTTSwarmError) {
        let milliseconds = Int32(clamping: MonotonicClock.nanoseconds(of: timeout) / 1_000_000)
        let ready = try poller.wait(timeoutMilliseconds: milliseconds)
        activeHandler = handler
        defer { activeHandler = nil }
        for position in 0..<ready {
            let readiness = poller.readiness(at: position)
            let connection = connections[readiness.token]
            // A socket closed earlier in this batch may still have a report queued.
            guard connection.socket >= 0, let handle = connection.handle else { continue }
            if readiness.readable {
                // A failure closes the socket and reaches `connectionClosed` through the
                // disconnect callback, so the result needs no handling here.
                mosquitto_loop_read(handle, 1)
            }
            if readiness.writable, connection.socket >= 0 {
                mosquitto_loop_write(handle, 1)
            }
            if connection.socket >= 0 {
                try watchWrites(of: connection)
            }
        }
        try maintainIfDue()
    }

    /// Runs `mosquitto_loop_misc` (PINGREQ, keepalive timeout) on every open connection,
    /// once a second.
    private func maintainIfDue() throws(MQTTSwarmError) {
        let now = MonotonicClock.nanoseconds()
        guard now >= nextMaintenance else { return }
        nextMaintenance = now + 1_000_000_000
        for connection in connections where connection.socket >= 0 {
            guard let handle = connection.handle else { continue }
            mosquitto_loop_misc(handle)
            if connection.socket >= 0 {
                try watchWrites(of: connection)
            }
        }
    }

    private func start(_ connection: MQTTSwarmConnection) throws(MQTTSwarmError) {
        guard let handle = connection.handle else { return }
        let options = connection.options
        if let sessionExpiry = options.sessionExpiry {
            try connectCarryingSessionExpiry(handle, options, sessionExpiry)
        } else {
            try check(
                mosquitto_connect_async(handle, options.host, Int32(options.port), options.keepAlive),
                .connectFailed, "client '\(options.clientID)' connecting to \(options.host):\(options.port)"
            )
        }
        let socket = mosquitto_socket(handle)
        guard socket >= 0 else {
            throw MQTTSwarmError(.connectFailed, "client '\(options.clientID)' has no socket after connecting to \(options.host):\(options.port)")
        }
        connection.socket = socket
        connection.watchingWrite = mosquitto_want_write(handle)
        connection.state = .connecting
        connectingCount += 1
        try poller.register(socket, token: connection.id.index, writable: connection.watchingWrite)
    }

    /// libmosquitto 2.0 sends CONNECT properties (the session expiry interval) only from
    /// `mosquitto_connect_bind_v5`, whose TCP connect blocks; the socket is non-blocking from
    /// then on. On loopback the connect completes (or is refused) at once as long as the
    /// broker's listen backlog has room, which `connect`'s `maximumPending` bound keeps true.
    private func connectCarryingSessionExpiry(
        _ handle: OpaquePointer, _ options: MQTTSwarmConnectionOptions, _ sessionExpiry: UInt32
    ) throws(MQTTSwarmError) {
        var properties: OpaquePointer?
        defer { mosquitto_property_free_all(&properties) }
        try check(
            mosquitto_property_add_int32(&properties, Int32(MQTT_PROP_SESSION_EXPIRY_INTERVAL.rawValue), sessionExpiry),
            .clientSetup, "building the session expiry property of client '\(options.clientID)'"
        )
        try check(
            mosquitto_connect_bind_v5(handle, options.host, Int32(options.port), options.keepAlive, nil, properties),
            .connectFailed, "client '\(options.clientID)' connecting to \(options.host):\(options.port)"
        )
    }

    /// Asks the poller for writability exactly while libmosquitto has output queued, so an
    /// idle connection never wakes the loop.
    func watchWrites(of connection: MQTTSwarmConnection) throws(MQTTSwarmError) {
        guard connection.socket >= 0, let handle = connection.handle else { return }
        let wanted = mosquitto_want_write(handle)
        if wanted != connection.watchingWrite {
            try poller.update(connection.socket, token: connection.id.index, writable: wanted)
            connection.watchingWrite = wanted
        }
    }

    private func check(_ result: Int32, _ code: MQTTSwarmError.Code, _ context: @autoclosure () -> String) throws(MQTTSwarmError) {
        if result != MOSQ_ERR_SUCCESS.rawValue {
            throw Self.failure(result, code, context())
        }
    }

    static func failure(_ result: Int32, _ code: MQTTSwarmError.Code, _ context: String) -> MQTTSwarmError {
        let systemError: Int32? = result == MOSQ_ERR_ERRNO.rawValue ? errno : nil
        var detail = String(cString: mosquitto_strerror(result))
        if let systemError {
            detail += ": " + String(cString: strerror(systemError))
        }
        return MQTTSwarmError(code, "\(context): \(detail)", mosquittoCode: result, systemError: systemError)
    }
}
