public import FogCore
import FogMQTT
public import Logging
public import ServiceLifecycle

/// One side of a link at run time: the `fog-link` process.
///
/// Outbound, messages the local bus delivers on an outbound route's topic are appended to
/// the durable queue before the bus gets their PUBACK (`BusIntake`), then sent to the peer in sealed, batched frames on this side's ComSat
/// topic, and dropped from the queue only when the peer acknowledges them. Inbound, frames
/// from the peer's topic are authenticated, de-duplicated by sequence and published in order
/// on the inbound routes' local topics; what the bus accepted is recorded (the bus echoes
/// each delivery back to the half's persistent session, `EchoRecord`; receive cursor) before
/// it is acknowledged to the peer.
///
/// Both connections go out (ComSat and local bus) and are retried forever with jittered
/// backoff; every ComSat (re)connection starts a new handshake with fresh ephemeral keys.
/// Graceful shutdown stops intake first, queues what the bus already handed over, and
/// keeps both persistent sessions.
public actor LinkHalf: Service {
    public nonisolated let configuration: LinkHalfConfiguration
    public nonisolated let assignment: LinkHalfAssignment
    public nonisolated let secretHash: SecretHash
    let logger: Logger
    let output: LinkHalfOutput
    let metrics = LinkMetrics()
    let queue: DiskQueue
    let echoes: EchoRecord
    let intake: BusIntake
    let comsat: MQTTClient
    let bus: MQTTClient
    let markerTopic: String
    /// Local topic → channels of the outbound routes on it.
    let outboundChannels: [String: [UInt16]]
    /// Channel → local topics of the inbound routes for it.
    let inboundTopics: [UInt16: [String]]
    /// Marker-topic messages from `BusIntake` (the recovery probe).
    let busControl: AsyncStream<MQTTMessage>
    let busControlSink: AsyncStream<MQTTMessage>.Continuation
    /// Fatal storage failures seen on the bus thread.
    let intakeFailures: AsyncStream<LinkHalfError>
    let intakeFailureSink: AsyncStream<LinkHalfError>.Continuation

    var cursor: ReceiveCursor
    var session: LinkSession
    var reportedState: LinkHalfOutput.State?
    var stopping = false
    var comsatConnected = false
    var busConnected = false
    /// Set once the delivered point was recovered from the bus, so frames may be accepted.
    var recovered = false

    // Sending side.
    var nextToSend: UInt64
    var peerAcknowledged: UInt64
    var lastAcknowledgementProgress = ContinuousClock.now
    var lastHelloSent: ContinuousClock.Instant?
    /// When the current handshake started (a fresh own key), or when the session was last seen up.
    var handshakeProgress = ContinuousClock.now
    /// Frames that carried the peer's current key yet failed authentication while up, since
    /// the last one that verified (`LinkHalf+ComSat.swift`, `keysMayDisagree`).
    var unverifiedFrames = 0
    var firstUnverifiedFrame: ContinuousClock.Instant?
    var lastQueueReport: (messages: UInt64, bytes: UInt64)?
    var lastQueueReportTime: ContinuousClock.Instant?

    // Receiving side.
    /// Highest sequence taken into the delivery pipeline.
    var receivedThrough: UInt64
    var deliveryQueue: [(sequence: UInt64, message: LinkMessage)] = []
    var deliveryHead = 0
    /// Topics of the head message already published (a channel may have several routes).
    var headTopicsDone = 0
    /// Highest sequence whose publish the bus acknowledged.
    var busAccepted: UInt64
    /// The bus echoes deliveries back (subscription on the inbound topics granted).
    var echoEnabled = true
    var markerProbe: [UInt8]?
    var markerProbeSeen = false
    var lastCursorWrite = ContinuousClock.now
    var acknowledgementSent: UInt64 = 0
    var acknowledgementNeeded = false
    var lastAcknowledgementSent = ContinuousClock.now

    let senderWakes: AsyncStream<Void>
    let senderWake: AsyncStream<Void>.Continuation
    let deliveryWakes: AsyncStream<Void>
    let deliveryWake: AsyncStream<Void>.Continuation

    /// Reads the assignment, loads or creates the MQTT secret, writes the CA file and opens
    /// the queue and cursor. Nothing connects until `run()`.
    public init(
        configuration: LinkHalfConfiguration, logger: Logger, output: LinkHalfOutput = .standardOutput
    ) throws(LinkHalfError) {
        let files = LinkHalfFiles(directory: configuration.directory)
        let assignment = try files.readAssignment()
        let secret = try files.loadOrCreateSecret()
        var logger = logger
        logger[metadataKey: "fog.link"] = "\(LogAlias.of(assignment.linkID))"
        logger[metadataKey: "fog.link.side"] = "\(assignment.side)"
        let address: ComSatURL
        do {
            address = try ComSatURL(parsing: assignment.comsatURL)
        } catch {
            throw LinkHalfError(.configurationInvalid, error.message)
        }
        var tls: MQTTTLSConfiguration?
        if let pem = assignment.certificateAuthorityPEM {
            tls = MQTTTLSConfiguration(caFile: try files.writeCertificateAuthority(pem))
        } else if address.usesTLS {
            tls = MQTTTLSConfiguration(caFile: "/etc/ssl/certs/ca-certificates.crt")
        }
        let busPassword = try configuration.busPasswordFile.map { path throws(LinkHalfError) in
            try LinkHalfFiles.readPassword(path)
        }
        let sideName = assignment.side == .a ? "a" : "b"
        let queue: DiskQueue
        let cursor: ReceiveCursor
        let echoes: EchoRecord
        do {
            queue = try DiskQueue(
                directory: files.queueDirectory,
                configuration: DiskQueueConfiguration(
                    maximumBytes: configuration.queueMaximumBytes, whenFull: .dropOldest,
                    maximumRecordBytes: LinkMessage.maximumPayloadSize + BusIntake.recordHeaderSize),
                logger: logger)
            cursor = try ReceiveCursor(path: files.receiveCursorPath)
            echoes = try EchoRecord(path: files.echoRecordPath)
        } catch {
            throw LinkHalfError(.queueFailed, "cannot open the queue in \(files.directory)", underlying: error)
        }

        self.configuration = configuration
        self.assignment = assignment
        self.secretHash = secret.hash
        self.logger = logger
        self.output = output
        self.queue = queue
        self.echoes = echoes
        self.cursor = cursor
        comsat = MQTTClient(
            configuration: MQTTConfiguration(
                host: address.host, port: address.port, clientID: assignment.clientID, username: assignment.username,
                password: secret.text, tls: tls, cleanStart: false, sessionExpiry: configuration.comsatSessionExpiry,
                keepAlive: configuration.keepAlive, connectTimeout: .seconds(10), operationTimeout: .seconds(20),
                topicAliases: true),
            logger: logger)
        let markerTopic = configuration.busMarkerTopic ?? "fog-link/\(assignment.linkID)/\(sideName)/delivered"
        self.markerTopic = markerTopic
        var outbound: [String: [UInt16]] = [:]
        var inbound: [UInt16: [String]] = [:]
        for route in assignment.routes {
            switch route.direction {
            case .outbound: outbound[route.localTopic, default: []].append(route.channel)
            case .inbound: inbound[route.channel, default: []].append(route.localTopic)
            }
        }
        outboundChannels = outbound
        inboundTopics = inbound
        let senderWake: AsyncStream<Void>.Continuation
        (senderWakes, senderWake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.senderWake = senderWake
        (deliveryWakes, deliveryWake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let busControlSink: AsyncStream<MQTTMessage>.Continuation
        (busControl, busControlSink) = AsyncStream.makeStream(of: MQTTMessage.self, bufferingPolicy: .bufferingNewest(64))
        self.busControlSink = busControlSink
        let intakeFailureSink: AsyncStream<LinkHalfError>.Continuation
        (intakeFailures, intakeFailureSink) = AsyncStream.makeStream(
            of: LinkHalfError.self, bufferingPolicy: .bufferingOldest(1))
        self.intakeFailureSink = intakeFailureSink
        let intake = BusIntake(
            queue: queue, echoes: echoes, outboundChannels: outbound, inboundTopics: Set(inbound.values.joined()),
            markerTopic: markerTopic, control: busControlSink, queued: senderWake, failures: intakeFailureSink,
            metrics: LinkMetrics(), logger: logger)
        self.intake = intake
        bus = MQTTClient(
            configuration: MQTTConfiguration(
                host: configuration.busHost, port: configuration.busPort,
                clientID: configuration.busClientID ?? "fog-link-\(assignment.linkID)-\(sideName)",
                username: configuration.busUsername, password: busPassword, cleanStart: false,
                sessionExpiry: UInt32.max, keepAlive: configuration.keepAlive, connectTimeout: .seconds(10),
                operationTimeout: configuration.busOperationTimeout),
            logger: logger, synchronousHandler: { intake.receive($0) })
        session = LinkSession(linkID: assignment.linkID, side: assignment.side, preSharedKey: assignment.preSharedKey)
        nextToSend = 1
        peerAcknowledged = 0
        receivedThrough = max(cursor.delivered, echoes.echoed)
        busAccepted = receivedThrough
        acknowledgementSent = 0
    }

    /// Runs until cancelled or gracefully shut down (then returns normally); throws only when
    /// the queue or cursor can no longer be written.
    public func run() async throws {
        output.secretHash(secretHash.description)
        let statistics = await queue.statistics
        peerAcknowledged = statistics.firstUnacknowledged - 1
        nextToSend = statistics.firstUnacknowledged
        do {
            let tailStart = statistics.nextSequence - min(statistics.pendingCount, UInt64(BusIntake.redeliveryWindow))
            intake.expectRedelivery(of: try await queue.records(from: tailStart))
        } catch {
            throw LinkHalfError(.queueFailed, "cannot read the queue's tail", underlying: error)
        }
        logger.info(
            "link half starting",
            metadata: [
                "fog.link.queue.pending": "\(statistics.pendingCount)",
                "fog.link.delivered": "\(cursor.delivered)",
                "fog.link.routes": "\(assignment.routes.count)",
            ])
        setState(.connecting)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await self.runBus() }
                group.addTask { await self.consumeBusMessages() }
                group.addTask { await self.runComSat() }
                group.addTask { await self.consumeComSatFrames() }
                group.addTask { try await self.watchIntake() }
                group.addTask { try await self.runSender() }
                group.addTask { try await self.runDelivery() }
                group.addTask { try await self.runTicker() }
                group.addTask {
                    do {
                        try await gracefulShutdown()
                        await self.stop()
                    } catch {
                        // Cancelled: the group is ending anyway.
                    }
                }
                do {
                    try await group.waitForAll()
                } catch {
                    group.cancelAll()
                    await self.stop()
                    throw error
                }
            }
        } catch is CancellationError {
            // Plain cancellation ends the half like a graceful stop.
        }
        await finish()
    }

    /// Stops intake and connections; the loops end as their streams finish.
    func stop() async {
        guard !stopping else { return }
        stopping = true
        logger.info("link half stopping")
        // Disconnecting the bus finishes its message stream after the messages it already
        // acknowledged, so the consumer still queues every one of them.
        await bus.disconnect()
        busControlSink.finish()
        intakeFailureSink.finish()
        await comsat.disconnect()
        senderWake.finish()
        deliveryWake.finish()
    }

    /// Makes the state durable after the loops ended.
    private func finish() async {
        persistCursor(force: true)
        echoes.close()
        await queue.close()
        setState(.down)
        logger.info("link half stopped")
    }

    /// Ends the half when the bus thread could not store a message (it holds that message
    /// unacknowledged, so the bus keeps it for the next start).
    private func watchIntake() async throws {
        for await failure in intakeFailures {
            throw failure
        }
    }

    func setState(_ state: LinkHalfOutput.State) {
        guard state != reportedState else { return }
        reportedState = state
        output.state(state)
        logger.info("link state \(state.rawValue)")
    }

    /// Waits `delay`; false when cancelled or stopping.
    func pause(_ delay: Duration) async -> Bool {
        do {
            try await Task.sleep(for: delay)
        } catch {
            return false
        }
        return !stopping
    }
}
