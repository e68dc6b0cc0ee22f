public import FogCore
internal import FogMQTT
public import Logging

/// The agent's session to its home ComSat: receives the controller's commands, applies them
/// in order through the `AgentCommandApplier`, and answers on its reply topic.
///
/// **Connection.** Outbound only, as the agent id with the secret it chose at provisioning,
/// TLS with the CA stored at provisioning for `mqtts`. The session is persistent (clean start
/// off, long expiry), so commands published while the agent is away wait on the ComSat. The
/// will is an empty QoS 1 message on the reply topic: when the connection dies without
/// DISCONNECT the ComSat publishes it and the controller records the agent offline; a clean
/// stop publishes the same empty message itself. Connection failures and losses are retried
/// with jittered backoff forever; they never end `run()`.
///
/// **Commands.** Every message on the command topic goes through `AgentCommandReceiver`;
/// refusals (forged, replayed, stale, out of sequence, …) are logged and counted by code and
/// never applied. The next command in sequence is applied, its number persisted
/// (`AppliedSequenceFile`), and only then acknowledged, so a restarted agent recognises it as
/// a duplicate; a duplicate is acknowledged `alreadyApplied` without applying it.
///
/// **Status** goes out on every connection, every `statusInterval`, and shortly after
/// `statusChanged()`; it carries the last applied sequence, from which the controller
/// resends what the agent missed. Link secret reports ride along with every status until
/// `forgetReport`.
public actor AgentSession {
    private struct ReportKey: Hashable {
        var linkID: OpaqueID
        var side: Grant.LinkSide
    }

    private enum StatusSignal: Sendable {
        case periodic, changed
    }

    private let state: AgentState
    private let stateDirectory: String
    private let configuration: AgentSessionConfiguration
    private let applier: any AgentCommandApplier
    private let logger: Logger
    private let replySealer: AgentReplySealer
    private let metrics = AgentSessionMetrics()
    private var receiver: AgentCommandReceiver
    private var client: MQTTClient?
    private var reports: [ReportKey: LinkSecretReport] = [:]
    private var statusSignals: AsyncStream<StatusSignal>.Continuation?
    /// What happened since the session started (also exported as metrics).
    public private(set) var counters = AgentSessionCounters()

    public init(
        state: AgentState, stateDirectory: String, configuration: AgentSessionConfiguration = .init(),
        applier: any AgentCommandApplier, logger: Logger
    ) {
        self.state = state
        self.stateDirectory = stateDirectory
        self.configuration = configuration
        self.applier = applier
        var logger = logger
        logger[metadataKey: "fog.agent.id"] = "\(state.agentID)"
        self.logger = logger
        replySealer = AgentReplySealer(
            agentID: state.agentID, signingKey: state.signingKey, controllerID: state.controllerID)
        // Replaced in `run()` by one starting at the persisted number.
        receiver = Self.receiver(for: state, lastApplied: 0, clockSkew: configuration.clockSkew)
    }

    /// The highest command sequence number applied and persisted.
    public var lastAppliedSequence: UInt64 { receiver.lastAppliedSequence }

    /// Whether the session is connected to the home ComSat now.
    public var isConnected: Bool { client?.isConnected ?? false }

    /// Connects out (persistent session, will = empty payload on its reply topic), subscribes its
    /// command topic, applies commands in order, persists lastAppliedSequence (0600 file in the
    /// state dir) before acknowledging, publishes status on connect and every statusInterval.
    /// Runs until cancelled; network loss is retried, never fatal.
    /// - Throws: `.invalidComSatURL`, `.certificateMissing` before connecting;
    ///   `.sequenceNotPersisted` when the sequence file cannot be read or written.
    public func run() async throws(AgentSessionError) {
        let client = try makeClient()
        let lastApplied: UInt64
        do {
            lastApplied = try AppliedSequenceFile.read(from: stateDirectory)
        } catch {
            throw AgentSessionError(
                code: .sequenceNotPersisted, message: "cannot read the last applied command sequence", stateError: error)
        }
        receiver = Self.receiver(for: state, lastApplied: lastApplied, clockSkew: configuration.clockSkew)
        self.client = client
        let (signals, signalSink) = AsyncStream.makeStream(of: StatusSignal.self, bufferingPolicy: .bufferingNewest(1))
        statusSignals = signalSink
        logger.info("agent session starting", metadata: ["fog.command.last_applied": "\(lastApplied)"])

        let failure = await withTaskGroup(of: AgentSessionError?.self) { group -> AgentSessionError? in
            group.addTask {
                await self.superviseConnection(client)
                return nil
            }
            group.addTask {
                for await event in client.events {
                    await self.handle(event)
                }
                return nil
            }
            group.addTask {
                await self.processCommands(from: client)
            }
            group.addTask { [statusInterval = configuration.statusInterval] in
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: statusInterval)
                    } catch {
                        return nil
                    }
                    signalSink.yield(.periodic)
                }
                return nil
            }
            group.addTask { [debounce = configuration.statusDebounce] in
                for await signal in signals {
                    if signal == .changed {
                        try? await Task.sleep(for: debounce)
                    }
                    await self.publishStatus()
                }
                return nil
            }
            for await result in group {
                if let result {
                    group.cancelAll()
                    return result
                }
            }
            return nil
        }
        signalSink.finish()
        statusSignals = nil
        await stop(client)
        self.client = nil
        if let failure {
            logger.error("agent session stopped", metadata: ["fog.error": "\(failure)"])
            throw failure
        }
        logger.info("agent session stopped")
    }

    /// Publishes a link secret report now (if connected) and re-sends it with every status until
    /// `forgetReport` (call it when the half is up or wiped).
    public func report(_ report: LinkSecretReport) async {
        reports[ReportKey(linkID: report.linkID, side: report.side)] = report
        guard let client, client.isConnected else { return }
        await publish(.linkSecret(report), on: client, what: "link secret report")
    }

    public func forgetReport(linkID: OpaqueID, side: Grant.LinkSide) async {
        reports[ReportKey(linkID: linkID, side: side)] = nil
    }

    /// Asks for a status message soon (debounced), e.g. after a microservice changed state.
    public func statusChanged() async {
        statusSignals?.yield(.changed)
    }

    // MARK: Connection

    private func makeClient() throws(AgentSessionError) -> MQTTClient {
        let address: ComSatURL
        do {
            address = try ComSatURL(parsing: state.comsatURL)
        } catch {
            throw AgentSessionError(code: .invalidComSatURL, message: error.message)
        }
        var tls: MQTTTLSConfiguration?
        if address.usesTLS {
            let caFile = AgentState.certificatePath(in: stateDirectory)
            guard StateFile.exists(caFile) else {
                throw AgentSessionError(
                    code: .certificateMissing,
                    message: "home ComSat \(address) uses TLS but \(caFile) is missing; provision the agent again")
            }
            tls = MQTTTLSConfiguration(caFile: caFile)
        }
        let identity = state.agentID.description
        return MQTTClient(
            configuration: MQTTConfiguration(
                host: address.host, port: address.port, clientID: identity, username: identity,
                password: state.secret.text, tls: tls, cleanStart: false, sessionExpiry: configuration.sessionExpiry,
                keepAlive: configuration.keepAlive,
                will: MQTTWill(topic: state.replyTopic, payload: [], qos: .atLeastOnce, retain: false),
                reconnect: configuration.reconnect, connectTimeout: configuration.connectTimeout,
                operationTimeout: configuration.operationTimeout),
            logger: logger)
    }

    /// Connects, and connects again whenever the client is neither connected nor reconnecting
    /// by itself (it gives up on refusals such as a not-yet-installed grant), with backoff.
    private func superviseConnection(_ client: MQTTClient) async {
        var failures = 0
        while !Task.isCancelled {
            if !client.isConnected {
                do {
                    try await client.connect()
                    failures = 0
                } catch where error.code == .invalidArgument {
                    // Already connecting: the client's own reconnection is under way.
                } catch {
                    failures += 1
                    logger.log(
                        level: failures == 1 ? .warning : .info, "cannot connect to the home ComSat; retrying",
                        metadata: ["fog.comsat.url": "\(state.comsatURL)", "fog.error": "\(error)"])
                }
            }
            let wait = failures == 0 ? Self.connectionCheck : configuration.reconnect.delay(beforeAttempt: failures)
            do {
                try await Task.sleep(for: wait)
            } catch {
                return
            }
        }
    }

    /// How often a healthy connection is looked at.
    private static let connectionCheck: Duration = .seconds(1)

    private func handle(_ event: MQTTConnectionEvent) async {
        guard let client else { return }
        switch event {
        case .connected(let sessionPresent):
            logger.info("connected to the home ComSat", metadata: ["mqtt.session_present": "\(sessionPresent)"])
            do {
                // Also when the session was resumed: a SUBSCRIBE of an existing subscription
                // changes nothing, and it repairs a session the ComSat lost.
                try await client.subscribe(state.commandTopic, qos: .atLeastOnce)
            } catch {
                logger.error(
                    "cannot subscribe to the command topic; retried at the next connection",
                    metadata: ["fog.error": "\(error)"])
            }
            await publishStatus()
        case .disconnected(let reason):
            logger.info(
                "connection to the home ComSat lost", metadata: ["mqtt.rc": "\(reason.map { "\($0)" } ?? "network")"])
        }
    }

    /// Tells the controller the agent goes offline (the same empty message as the will, which
    /// a clean DISCONNECT suppresses), then disconnects.
    /// Runs in a task of its own: `run()` gets here because it was cancelled, and a
    /// cancelled task's publish would be abandoned before it is sent.
    private func stop(_ client: MQTTClient) async {
        if client.isConnected {
            let replyTopic = state.replyTopic
            let logger = logger
            await Task {
                do {
                    try await client.publish(topic: replyTopic, payload: [], qos: .atLeastOnce)
                } catch {
                    logger.debug("offline notice not published", metadata: ["fog.error": "\(error)"])
                }
            }.value
        }
        await client.disconnect()
    }

    // MARK: Commands

    /// Handles the command topic's messages one at a time, in arrival order, until the
    /// stream ends; returns the failure that must stop the session.
    private func processCommands(from client: MQTTClient) async -> AgentSessionError? {
        for await message in client.messages where message.topic == state.commandTopic {
            do {
                try await receive(message.payload)
            } catch {
                return error
            }
        }
        return nil
    }

    /// Handles one message from the command topic.
    /// - Throws: `.sequenceNotPersisted` after applying a command whose number cannot be saved.
    private func receive(_ bytes: [UInt8]) async throws(AgentSessionError) {
        let delivery: AgentCommandDelivery
        do {
            delivery = try receiver.receive(bytes, now: .now())
        } catch {
            refuse(error)
            return
        }
        switch delivery {
        case .duplicate(let sequence):
            counters.duplicates += 1
            metrics.command(result: "duplicate")
            logger.debug("command already applied; acknowledged again", metadata: ["fog.command.sequence": "\(sequence)"])
            await acknowledge(sequence, .alreadyApplied)
        case .apply(let sequenced):
            var logger = logger
            logger[metadataKey: "fog.command.sequence"] = "\(sequenced.sequence)"
            logger.info("applying command", metadata: ["fog.command": "\(sequenced.command)"])
            let result = await applier.apply(sequenced.command)
            receiver.markApplied(sequenced.sequence)
            do {
                try AppliedSequenceFile.write(sequenced.sequence, to: stateDirectory)
            } catch {
                throw AgentSessionError(
                    code: .sequenceNotPersisted,
                    message: "applied command \(sequenced.sequence) but cannot record it; not acknowledged",
                    stateError: error)
            }
            switch result {
            case .failed(let reason):
                counters.failed += 1
                metrics.command(result: "failed")
                logger.warning("command failed", metadata: ["fog.reason": "\(reason)"])
            case .applied, .alreadyApplied:
                counters.applied += 1
                metrics.command(result: "applied")
            }
            await acknowledge(sequenced.sequence, result)
        }
    }

    private func refuse(_ error: AgentCommandError) {
        counters.refused[error.code, default: 0] += 1
        metrics.refused(error.code)
        // Stale commands and gaps are expected after time offline (the controller resends
        // on the next status); everything else is a fault or an attack.
        let expected = error.code == .stale || error.code == .sequenceGap
        logger.log(
            level: expected ? .info : .warning, "command refused",
            metadata: [
                "fog.reason": "\(error.code)", "fog.error": "\(error.message)",
                "fog.command.sequence": "\(error.sequence.map { "\($0)" } ?? "-")",
            ])
    }

    private func acknowledge(_ sequence: UInt64, _ result: AgentAcknowledgement.Result) async {
        guard let client else { return }
        await publish(
            .acknowledgement(AgentAcknowledgement(sequence: sequence, result: result)), on: client,
            what: "acknowledgement")
    }

    // MARK: Replies

    /// Publishes the status, then every report not yet forgotten.
    private func publishStatus() async {
        guard let client, client.isConnected else { return }
        let current = await applier.currentStatus()
        let status = AgentStatus(
            lastAppliedSequence: receiver.lastAppliedSequence, microservices: current.microservices,
            linkHalves: current.linkHalves)
        if await publish(.status(status), on: client, what: "status") {
            counters.statuses += 1
            metrics.statuses.increment()
        }
        for report in reports.values {
            await publish(.linkSecret(report), on: client, what: "link secret report")
        }
    }

    /// Seals and publishes one reply at QoS 1; a failure is logged and counted, not thrown:
    /// the controller retries commands, and the next status repeats the rest.
    @discardableResult
    private func publish(_ reply: AgentReply, on client: MQTTClient, what: String) async -> Bool {
        do {
            let envelope = try replySealer.seal(reply)
            try await client.publish(topic: state.replyTopic, payload: envelope, qos: .atLeastOnce)
            return true
        } catch {
            counters.unsentReplies += 1
            metrics.unsentReplies.increment()
            logger.info("\(what) not published", metadata: ["fog.error": "\(error)"])
            return false
        }
    }

    private static func receiver(for state: AgentState, lastApplied: UInt64, clockSkew: Duration) -> AgentCommandReceiver {
        AgentCommandReceiver(
            controllerID: state.controllerID, controllerSigningKey: state.controllerSigningKey, agentID: state.agentID,
            agreementKey: state.agreementKey, lastAppliedSequence: lastApplied, clockSkew: clockSkew)
    }
}
