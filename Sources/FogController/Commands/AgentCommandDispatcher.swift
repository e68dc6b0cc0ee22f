public import FogCore
internal import Foundation
public import Logging

/// The controller's end of every agent's command channel: queues commands durably,
/// delivers them in order as freshly sealed envelopes, retries until acknowledged, and
/// turns verified replies into acknowledgements, presence and status.
///
/// **Outbox.** `send` allocates the agent's next sequence number and stores the command
/// encrypted at rest (`AgentCommandVault`); a queued command therefore survives restarts and
/// waits for an offline agent. Every publication seals it anew (`AgentCommandSealer`), since
/// the agent refuses replayed envelopes and stale timestamps.
///
/// **Delivery.** One delivery per agent at a time publishes its unacknowledged commands in
/// sequence order on `c/<id>` through the session to the agent's home ComSat; a request that
/// arrives meanwhile runs another pass afterwards, so publications never interleave out of
/// order. Deliveries run after `send`, every `retryInterval` for agents that are online or
/// unknown and were not served within that interval (oldest waiting first), and at once when
/// a status shows commands beyond the agent's last applied sequence. Offline agents get
/// nothing until their next status: their ComSat session would only collect envelopes that
/// are stale by the time they connect.
///
/// **Replies** on `r/+` are verified per agent: the topic names the agent, and the envelope
/// must be signed by that agent's key, sent by its id, addressed to this controller, of kind
/// `agentReply`, within the clock skew and not replayed. An acknowledgement removes the
/// outbox rows through its sequence (cumulative: the agent applies strictly in order); a
/// status records presence online, acknowledges through its last applied sequence and
/// triggers a resend of the rest; a link secret report goes to the handler. An empty message
/// is the agent's MQTT will (the broker publishes it when the connection dies without
/// DISCONNECT) and records presence offline, as does `presenceTimeout` without a status.
///
/// Events are handled in one task in arrival order; deliveries and link secret handlers run
/// as child tasks of `run()`, so cancelling it ends them.
public actor AgentCommandDispatcher {
    private enum Event: Sendable {
        case reply(comsatID: OpaqueID, topic: String, payload: [UInt8])
        case deliver(OpaqueID)
    }

    /// What the dispatcher keeps per agent it talked to.
    private struct Channel {
        var agent: AgentRecord
        var sealer: AgentCommandSealer
        /// The agent's own verifier, trusting only its key: a reply on its topic from anyone
        /// else is `unknownSender`, and one agent's replies cannot fill another's replay window.
        var verifier: EnvelopeVerifier
        /// Highest sequence published since this controller started: later publications of
        /// it or below count as retries.
        var highestSent: Int64 = 0
        var lastDelivery: ContinuousClock.Instant?
    }

    private let home: ControllerHome
    private let store: any ControllerStore
    private let fleet: ComSatFleet
    private let configuration: AgentCommandConfiguration
    private let logger: Logger
    private let vault: AgentCommandVault
    private let metrics = AgentCommandMetrics()
    private let clock = ContinuousClock()
    private let events: AsyncStream<Event>
    private let sink: AsyncStream<Event>.Continuation
    private var channels: [OpaqueID: Channel] = [:]
    /// Reply topic id → agent id, for agents seen since the start.
    private var replyTopics: [OpaqueID: OpaqueID] = [:]
    private var statuses: [OpaqueID: AgentStatus] = [:]
    /// When each agent recorded online was last heard from (a verified status).
    private var lastHeard: [OpaqueID: ContinuousClock.Instant] = [:]
    private var delivering: Set<OpaqueID> = []
    private var deliverAgain: Set<OpaqueID> = []
    private var linkSecretHandler: (@Sendable (_ agentID: OpaqueID, _ report: LinkSecretReport) async -> Void)?
    /// What happened since the start (also exported as metrics).
    public private(set) var counters = AgentCommandCounters()

    public init(
        home: ControllerHome, store: any ControllerStore, fleet: ComSatFleet,
        configuration: AgentCommandConfiguration = .init(), logger: Logger
    ) {
        self.home = home
        self.store = store
        self.fleet = fleet
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "fog.controller.id"] = "\(home.controllerID)"
        self.logger = logger
        vault = AgentCommandVault(home: home)
        (events, sink) = AsyncStream.makeStream(
            of: Event.self, bufferingPolicy: .bufferingNewest(max(configuration.replyBufferLimit, 1)))
    }

    /// Subscribes `r/+` on the session and routes its agent replies here. Call once per
    /// session (the fleet's session-connected handler does), before or while `run()` runs.
    public func attach(_ session: ComSatSession) async throws(ControllerError) {
        let sink = sink
        let metrics = metrics
        let comsatID = session.comsatID
        await session.setMessageHandler(forTopicPrefix: .agentReply) { topic, payload in
            if case .dropped = sink.yield(.reply(comsatID: comsatID, topic: topic, payload: payload)) {
                metrics.repliesDropped.increment()
            }
        }
        try await session.subscribe(ComSatTopic.Prefix.agentReply.text + "+")
    }

    /// Durable in the outbox when it returns (sealed at rest); delivered and retried
    /// asynchronously by `run()`.
    /// - Returns: the command's sequence number.
    /// - Throws: `.notFound` (no such agent), `.invalidRequest` (the command breaks a field
    ///   limit), `.databaseFailed`.
    @discardableResult
    public func send(_ command: AgentCommand, to agentID: OpaqueID) async throws(ControllerError) -> Int64 {
        let vault = vault
        let record = try await store.enqueueCommand(agentID: agentID) { sequence throws(ControllerError) in
            try vault.seal(SequencedAgentCommand(sequence: UInt64(sequence), command: command), agentID: agentID)
        }
        counters.queued += 1
        metrics.queued.increment()
        logger.info(
            "command queued",
            metadata: [
                "fog.agent.id": "\(agentID)", "fog.command.sequence": "\(record.sequence)",
                "fog.command": "\(command)",
            ])
        sink.yield(.deliver(agentID))
        return record.sequence
    }

    /// Handles replies and deliveries, retries and presence timeouts until cancelled.
    public func run() async {
        await restorePresence()
        await withDiscardingTaskGroup { group in
            group.addTask { [weak self] in await self?.retryLoop() }
            group.addTask { [weak self] in await self?.presenceLoop() }
            for await event in events {
                switch event {
                case .deliver(let agentID):
                    if delivering.insert(agentID).inserted {
                        group.addTask { [weak self] in await self?.deliveries(to: agentID) }
                    } else {
                        deliverAgain.insert(agentID)
                    }
                case .reply(let comsatID, let topic, let payload):
                    if let reported = await handleReply(comsatID: comsatID, topic: topic, payload: payload),
                        let handler = linkSecretHandler
                    {
                        group.addTask { await handler(reported.agentID, reported.report) }
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Called for every verified link secret report (agent id = verified sender).
    public func setLinkSecretHandler(
        _ handler: (@Sendable (_ agentID: OpaqueID, _ report: LinkSecretReport) async -> Void)?
    ) {
        linkSecretHandler = handler
    }

    /// Latest verified status of an agent since this controller started (in memory), nil if none.
    public func status(of agentID: OpaqueID) -> AgentStatus? {
        statuses[agentID]
    }

    // MARK: Delivery

    /// Runs delivery passes for one agent until no new request came in during the last.
    private func deliveries(to agentID: OpaqueID) async {
        repeat {
            deliverAgain.remove(agentID)
            await deliverPending(to: agentID)
        } while deliverAgain.contains(agentID) && !Task.isCancelled
        delivering.remove(agentID)
    }

    /// Publishes every unacknowledged command of the agent, in order, each freshly sealed.
    /// Stops at the first failure; the next retry starts again from the oldest.
    private func deliverPending(to agentID: OpaqueID) async {
        var logger = logger
        logger[metadataKey: "fog.agent.id"] = "\(agentID)"
        let pending: [AgentCommandRecord]
        let channel: Channel
        do {
            guard let loaded = try await self.channel(for: agentID) else {
                logger.debug("no delivery: the agent no longer exists")
                return
            }
            channel = loaded
            pending = try await store.pendingCommands(agentID: agentID)
        } catch {
            logger.warning("cannot read the agent's outbox; the next retry tries again", metadata: ["fog.error": "\(error)"])
            return
        }
        guard !pending.isEmpty else { return }
        let comsatID = channel.agent.homeComSatID
        guard let session = await fleet.session(for: comsatID), await session.isConnected else {
            logger.debug("no delivery now: no connected session to the agent's home ComSat", metadata: ["fog.comsat.id": "\(comsatID)"])
            return
        }
        channels[agentID]?.lastDelivery = clock.now
        for row in pending {
            if Task.isCancelled { return }
            let envelope: [UInt8]
            do {
                let command = try vault.open(Array(row.sealed), agentID: agentID, sequence: row.sequence)
                envelope = try channel.sealer.seal(sequence: command.sequence, command: command.command)
            } catch let error as ControllerError {
                logger.error(
                    "queued command cannot be delivered; later commands wait behind it",
                    metadata: ["fog.command.sequence": "\(row.sequence)", "fog.error": "\(error)"])
                return
            } catch {
                logger.error(
                    "queued command cannot be sealed; later commands wait behind it",
                    metadata: ["fog.command.sequence": "\(row.sequence)", "fog.error": "\(error)"])
                return
            }
            do {
                try await session.publish(topic: channel.agent.commandTopic, payload: envelope)
            } catch {
                logger.info(
                    "command not published; the next retry resends it",
                    metadata: ["fog.command.sequence": "\(row.sequence)", "fog.error": "\(error)"])
                return
            }
            if row.sequence > (channels[agentID]?.highestSent ?? 0) {
                channels[agentID]?.highestSent = row.sequence
                counters.sent += 1
                metrics.sent.increment()
            } else {
                counters.retried += 1
                metrics.retried.increment()
            }
            logger.trace("command published", metadata: ["fog.command.sequence": "\(row.sequence)"])
        }
    }

    private func retryLoop() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: configuration.retryInterval)
            } catch {
                return
            }
            await requestRetries()
        }
    }

    /// Asks for a delivery to every agent with unacknowledged commands that is not known to be
    /// offline and was not served within the retry interval, the one waiting longest first.
    private func requestRetries() async {
        let agents: [AgentRecord]
        do {
            agents = try await store.agentsWithPendingCommands()
        } catch {
            logger.warning("cannot list agents with queued commands", metadata: ["fog.error": "\(error)"])
            return
        }
        let now = clock.now
        for agent in agents {
            let presence = channels[agent.id]?.agent.presence ?? agent.presence
            guard presence != .offline else { continue }
            if let last = channels[agent.id]?.lastDelivery, now - last < configuration.retryInterval { continue }
            sink.yield(.deliver(agent.id))
        }
    }

    /// The agent's channel, loaded from the store on first use.
    private func channel(for agentID: OpaqueID) async throws(ControllerError) -> Channel? {
        if let channel = channels[agentID] { return channel }
        guard let agent = try await store.agent(id: agentID) else { return nil }
        return remember(agent)
    }

    private func remember(_ agent: AgentRecord) -> Channel {
        if let channel = channels[agent.id] { return channel }
        let channel = Channel(
            agent: agent,
            sealer: AgentCommandSealer(
                controllerID: home.controllerID, signingKey: home.signingKey, agentID: agent.id,
                agentAgreementKey: agent.agreementKey),
            verifier: EnvelopeVerifier(
                trustedSenders: [agent.id: agent.signingKey], localID: home.controllerID,
                agreementKey: home.agreementKey, maximumSize: AgentReply.maximumSize + Self.envelopeOverhead,
                clockSkew: configuration.clockSkew, replayCapacity: configuration.replayCapacity,
                requiresRecipient: true, acceptedKinds: [.agentReply]))
        channels[agent.id] = channel
        replyTopics[agent.replyTopicID] = agent.id
        return channel
    }

    /// Room for the envelope's header, seal and signature around a maximal reply.
    private static let envelopeOverhead = 1_024

    // MARK: Replies

    /// Verifies and applies one message from a reply topic; returns a verified link secret
    /// report for the handler.
    private func handleReply(
        comsatID: OpaqueID, topic: String, payload: [UInt8]
    ) async -> (agentID: OpaqueID, report: LinkSecretReport)? {
        guard ComSatTopic.prefix(of: topic.utf8) == .agentReply,
            let replyTopicID = OpaqueID(String(topic.dropFirst(2)))
        else {
            reject("unknownTopic", topic: topic, agentID: nil, "reply on a topic that names no agent")
            return nil
        }
        let agentID: OpaqueID
        do {
            if let known = replyTopics[replyTopicID] {
                agentID = known
            } else if let agent = try await store.agent(replyTopicID: replyTopicID) {
                agentID = remember(agent).agent.id
            } else {
                reject("unknownTopic", topic: topic, agentID: nil, "reply on the topic of no known agent")
                return nil
            }
        } catch {
            logger.warning("cannot look up a reply topic; reply dropped", metadata: ["mqtt.topic": "\(topic)", "fog.error": "\(error)"])
            return nil
        }
        guard let channel = channels[agentID] else { return nil }
        guard channel.agent.homeComSatID == comsatID else {
            reject("wrongComSat", topic: topic, agentID: agentID, "reply arrived through ComSat \(comsatID), not the agent's home")
            return nil
        }
        guard !payload.isEmpty else {
            counters.wills += 1
            logger.info("agent connection lost (MQTT will)", metadata: ["fog.agent.id": "\(agentID)"])
            await setPresence(.offline, of: agentID)
            return nil
        }
        var verifier = channel.verifier
        let opened: OpenedEnvelope
        do {
            opened = try verifier.open(payload, now: .now())
        } catch {
            reject("\(error.code)", topic: topic, agentID: agentID, error.message)
            return nil
        }
        channels[agentID]?.verifier = verifier
        let reply: AgentReply
        do {
            reply = try AgentReply(decoding: opened.body)
        } catch {
            reject("malformed", topic: topic, agentID: agentID, "reply body does not decode: \(error)")
            return nil
        }
        switch reply {
        case .acknowledgement(let acknowledgement):
            if case .failed(let reason) = acknowledgement.result {
                counters.failed += 1
                metrics.failed.increment()
                logger.warning(
                    "agent could not carry out a command",
                    metadata: [
                        "fog.agent.id": "\(agentID)", "fog.command.sequence": "\(acknowledgement.sequence)",
                        "fog.reason": "\(reason)",
                    ])
            }
            await acknowledge(agentID, through: acknowledgement.sequence)
        case .status(let status):
            counters.statuses += 1
            metrics.statuses.increment()
            statuses[agentID] = status
            lastHeard[agentID] = clock.now
            await setPresence(.online, of: agentID)
            await acknowledge(agentID, through: status.lastAppliedSequence)
            // Whatever is still queued was lost or went stale on the way: resend it now.
            sink.yield(.deliver(agentID))
        case .linkSecret(let report):
            logger.info(
                "link secret reported",
                metadata: ["fog.agent.id": "\(agentID)", "fog.link": "\(LogAlias.of(report.linkID))", "fog.link.side": "\(report.side)"])
            return (agentID, report)
        }
        return nil
    }

    private func acknowledge(_ agentID: OpaqueID, through sequence: UInt64) async {
        guard sequence > 0 else { return }
        do {
            let removed = try await store.acknowledgeCommands(agentID: agentID, through: Int64(clamping: sequence))
            guard removed > 0 else { return }
            counters.acknowledged += removed
            metrics.acknowledged.increment(by: removed)
            logger.debug(
                "commands acknowledged", metadata: ["fog.agent.id": "\(agentID)", "fog.command.sequence": "\(sequence)"])
        } catch {
            logger.warning(
                "cannot record an acknowledgement; the command is resent and acknowledged again",
                metadata: ["fog.agent.id": "\(agentID)", "fog.command.sequence": "\(sequence)", "fog.error": "\(error)"])
        }
    }

    private func reject(_ reason: String, topic: String, agentID: OpaqueID?, _ message: String) {
        counters.rejected[reason, default: 0] += 1
        metrics.rejected(reason: reason)
        var metadata: Logger.Metadata = ["fog.reason": "\(reason)", "mqtt.topic": "\(topic)"]
        if let agentID { metadata["fog.agent.id"] = "\(agentID)" }
        logger.warning("agent reply rejected: \(message)", metadata: metadata)
    }

    // MARK: Presence

    /// Agents recorded online by an earlier run get a full timeout from now to show up.
    private func restorePresence() async {
        do {
            let now = clock.now
            for agent in try await store.agents() where agent.presence == .online && lastHeard[agent.id] == nil {
                lastHeard[agent.id] = now
            }
        } catch {
            logger.warning("cannot read agent presence", metadata: ["fog.error": "\(error)"])
        }
    }

    private func presenceLoop() async {
        let period = max(configuration.presenceTimeout / 5, .milliseconds(10))
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: period)
            } catch {
                return
            }
            let now = clock.now
            for (agentID, heard) in lastHeard where now - heard >= configuration.presenceTimeout {
                logger.info(
                    "agent silent past the presence timeout",
                    metadata: ["fog.agent.id": "\(agentID)", "fog.timeout": "\(configuration.presenceTimeout)"])
                await setPresence(.offline, of: agentID)
            }
        }
    }

    /// Records a presence change in memory and in the store.
    private func setPresence(_ presence: AgentRecord.Presence, of agentID: OpaqueID) async {
        if presence != .online {
            lastHeard[agentID] = nil
        }
        if channels[agentID]?.agent.presence == presence { return }
        do {
            let date = Date()
            if try await store.setPresence(presence, agentID: agentID, at: date) {
                metrics.presence(presence.rawValue)
                logger.info("agent presence changed", metadata: ["fog.agent.id": "\(agentID)", "fog.presence": "\(presence.rawValue)"])
            }
            channels[agentID]?.agent.presence = presence
            channels[agentID]?.agent.presenceChanged = date
        } catch {
            logger.warning(
                "cannot record agent presence", metadata: ["fog.agent.id": "\(agentID)", "fog.error": "\(error)"])
        }
    }
}
