internal import FogCore
public import Foundation
public import Logging

/// Answers provisioning requests arriving on the controller's ComSat sessions (`q/+`).
///
/// For each request: verify the envelope (`ProvisioningResponder`), consume the key
/// atomically (of concurrent users of one key exactly one wins), create the agent record,
/// install the agent's grant on its home ComSat, and only then answer on `p/<key id>` with
/// the sealed acceptance — so an agent that got its answer can always connect. After
/// `acceptanceGrace` the provisioning grant is removed and its session swept.
///
/// Requests are handled one at a time in arrival order, which keeps the outcome of a race
/// deterministic for the log and costs nothing at provisioning rates. The key's database
/// row is kept, marked used, so a late rival is told `alreadyUsed` rather than
/// `unknownKey`; the store stops listing its grant, so a resynchronisation drops it too.
public actor ProvisioningService {
    private struct Incoming: Sendable {
        var comsatID: OpaqueID
        var topic: String
        var payload: [UInt8]
    }

    /// What the last acceptance of a key answered, to re-send it to a repeated request.
    private struct Completed {
        var nonce: EnvelopeNonce
        var request: ProvisioningRequest
        var assignment: ProvisioningAssignment
    }

    private let home: ControllerHome
    private let store: any ControllerStore
    private let fleet: ComSatFleet
    private let configuration: ProvisioningServiceConfiguration
    private let responder: ProvisioningResponder
    private let logger: Logger
    private let now: @Sendable () -> Date
    private let incoming: AsyncStream<Incoming>
    private let sink: AsyncStream<Incoming>.Continuation
    private var completed: [OpaqueID: Completed] = [:]

    public init(
        home: ControllerHome, store: any ControllerStore, fleet: ComSatFleet,
        configuration: ProvisioningServiceConfiguration = .init(), logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.home = home
        self.store = store
        self.fleet = fleet
        self.configuration = configuration
        self.logger = logger
        self.now = now
        responder = ProvisioningResponder(
            controllerID: home.controllerID, signingKey: home.signingKey, clockSkew: configuration.clockSkew)
        // Requests are tiny and rare; a bounded buffer keeps a flood from growing memory.
        (incoming, sink) = AsyncStream.makeStream(of: Incoming.self, bufferingPolicy: .bufferingNewest(1_024))
    }

    /// Starts receiving requests from `session`: routes its application messages here and
    /// subscribes to `q/+`; other topics' handlers are left alone. Call once per session, before or while `run()` runs.
    public func attach(_ session: ComSatSession) async throws(ControllerError) {
        let sink = sink
        let comsatID = session.comsatID
        let logger = logger
        await session.setMessageHandler(forTopicPrefix: .provisioningRequest) { topic, payload in
            if case .dropped = sink.yield(Incoming(comsatID: comsatID, topic: topic, payload: payload)) {
                logger.warning("provisioning request dropped: too many waiting", metadata: ["fog.comsat.id": "\(comsatID)"])
            }
        }
        try await session.subscribe(ComSatTopic.Prefix.provisioningRequest.text + "+")
    }

    /// Handles requests until cancelled. Revocations after the grace period run as child
    /// tasks, so cancelling `run()` also ends them (the store no longer lists those grants,
    /// so the next synchronisation removes them anyway).
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await message in incoming {
                if let revocation = await handle(message) {
                    let grace = configuration.acceptanceGrace
                    group.addTask { [weak self] in
                        try? await Task.sleep(for: grace)
                        await self?.revoke(revocation.principal, keyID: revocation.keyID)
                    }
                }
            }
            // Finished: end the grace periods now so a shutdown is not held up by them. A
            // revocation cut short is left to the next synchronisation, which drops every
            // grant the store no longer lists.
            group.cancelAll()
        }
    }

    /// Stops `run()` once the requests already received are handled; grace periods still
    /// running end at once.
    public func finish() {
        sink.finish()
    }

    private struct Revocation: Sendable {
        var keyID: OpaqueID
        var principal: RevokedPrincipal
    }

    /// Answers one request; returns the provisioning principal to revoke after an acceptance.
    private func handle(_ message: Incoming) async -> Revocation? {
        let current = now()
        let timestamp = Timestamp(date: current)
        guard let topicKeyID = OpaqueID(String(message.topic.dropFirst(2))) else {
            logger.warning("provisioning request on a topic without a key id", metadata: ["mqtt.topic": "\(message.topic)"])
            return nil
        }
        var logger = logger
        logger[metadataKey: "fog.provisioning_key.id"] = "\(topicKeyID)"
        logger[metadataKey: "fog.comsat.id"] = "\(message.comsatID)"
        let received: ReceivedProvisioningRequest
        do {
            received = try responder.openRequest(message.payload, now: timestamp)
        } catch {
            logger.info("provisioning request refused", metadata: ["fog.reason": "\(error.code)"])
            if error.keyID == topicKeyID, let nonce = error.requestNonce {
                await answer(
                    on: message.comsatID, keyID: topicKeyID, logger: logger,
                    try? responder.refuse(
                        keyID: topicKeyID, requestNonce: nonce,
                        refusal: ProvisioningRefusal(reason: .malformed, detail: "request refused: \(error.code)"),
                        now: timestamp))
            }
            return nil
        }
        guard received.keyID == topicKeyID else {
            logger.info("provisioning request names another key than its topic", metadata: ["fog.reason": "wrongTopic"])
            await refuse(
                received, .malformed, "the request was published on another key's topic", on: message.comsatID,
                logger: logger)
            return nil
        }
        if let done = completed[received.keyID], done.nonce == received.nonce, done.request == received.request {
            logger.info("repeated provisioning request answered again", metadata: ["fog.agent.id": "\(done.assignment.agentID)"])
            await answer(
                on: message.comsatID, keyID: received.keyID, logger: logger,
                try? responder.accept(received, assignment: done.assignment, now: timestamp))
            return nil
        }
        let key: ProvisioningKeyRecord
        do {
            guard let consumed = try await store.consumeProvisioningKey(id: received.keyID, now: current) else {
                let reason = try await refusalReason(keyID: received.keyID, now: current)
                logger.info("provisioning request refused", metadata: ["fog.reason": "\(reason)"])
                await refuse(received, reason, Self.detail(reason), on: message.comsatID, logger: logger)
                return nil
            }
            key = consumed
        } catch {
            logger.error("provisioning key lookup failed; request left unanswered", metadata: ["fog.error": "\(error)"])
            return nil
        }
        return await provision(received, key: key, on: message.comsatID, now: timestamp, logger: logger)
    }

    /// Creates the agent for a consumed key, installs its grant and answers.
    private func provision(
        _ received: ReceivedProvisioningRequest, key: ProvisioningKeyRecord, on comsatID: OpaqueID, now: Timestamp,
        logger: Logger
    ) async -> Revocation {
        let principal = RevokedPrincipal(comsatID: key.comsatID, username: key.id.description, clientID: key.clientID)
        let revocation = Revocation(keyID: key.id, principal: principal)
        let request = received.request
        let agentID = OpaqueID()
        let agent = AgentRecord(
            id: agentID, name: key.agentName, signingKey: request.signingKey, agreementKey: request.agreementKey,
            secretHash: request.secretHash, clientID: agentID.description, homeComSatID: key.comsatID)
        let assignment: ProvisioningAssignment
        do {
            guard let comsat = try await store.comsat(id: key.comsatID) else {
                throw ControllerError(.notFound, "home ComSat \(key.comsatID) of key \(key.id) no longer exists")
            }
            assignment = ProvisioningAssignment(
                agentID: agentID, controllerID: home.controllerID, controllerAgreementKey: home.agreementKey.publicKey,
                comsatURL: comsat.url, certificateAuthorityPEM: try? comsat.certificateAuthorityPEM(),
                commandTopic: agent.commandTopic, replyTopic: agent.replyTopic)
            try await store.insertAgent(agent)
            do {
                try await fleet.install([agent.grant], on: key.comsatID)
            } catch {
                _ = try? await store.deleteAgent(id: agentID)
                throw error
            }
        } catch {
            // The key stays consumed: a half-done provisioning must not be retried with it.
            logger.error(
                "provisioning failed after the key was consumed; request left unanswered",
                metadata: ["fog.agent.id": "\(agentID)", "fog.error": "\(error)"])
            return revocation
        }
        completed[key.id] = Completed(nonce: received.nonce, request: request, assignment: assignment)
        await answer(
            on: comsatID, keyID: key.id, logger: logger, try? responder.accept(received, assignment: assignment, now: now))
        logger.notice(
            "audit: agent provisioned",
            metadata: [
                "fog.agent.id": "\(agentID)", "fog.agent.secret_hash": "\(request.secretHash)",
                "fog.comsat.id": "\(key.comsatID)",
            ])
        return revocation
    }

    /// Why a key could not be consumed, from its row.
    private func refusalReason(keyID: OpaqueID, now: Date) async throws(ControllerError) -> ProvisioningRefusal.Reason {
        guard let record = try await store.provisioningKey(id: keyID) else { return .unknownKey }
        if record.used { return .alreadyUsed }
        return record.expires <= now ? .expired : .alreadyUsed
    }

    private static func detail(_ reason: ProvisioningRefusal.Reason) -> String {
        switch reason {
        case .expired: "the provisioning key has expired; create a new one with 'fogctl agent add'"
        case .alreadyUsed: "the provisioning key was already used; create a new one with 'fogctl agent add'"
        case .unknownKey: "this controller has no such provisioning key"
        case .malformed: "the request could not be verified"
        }
    }

    private func refuse(
        _ received: ReceivedProvisioningRequest, _ reason: ProvisioningRefusal.Reason, _ detail: String,
        on comsatID: OpaqueID, logger: Logger
    ) async {
        let envelope = try? responder.refuse(
            keyID: received.keyID, requestNonce: received.nonce, refusal: ProvisioningRefusal(reason: reason, detail: detail),
            sealedTo: received.request.agreementKey, now: Timestamp(date: now()))
        await answer(on: comsatID, keyID: received.keyID, logger: logger, envelope)
    }

    /// Publishes `envelope` on `p/<keyID>` through the session to `comsatID`.
    private func answer(
        on comsatID: OpaqueID, keyID: OpaqueID, logger: Logger, _ envelope: [UInt8]?
    ) async {
        guard let envelope else {
            logger.error("could not build the provisioning response")
            return
        }
        guard let session = await fleet.session(for: comsatID) else {
            logger.warning("no session to answer the provisioning request on")
            return
        }
        do {
            try await session.publish(topic: ComSatTopic.topic(.provisioningResponse, keyID), payload: envelope)
        } catch {
            logger.warning("provisioning response not delivered", metadata: ["fog.error": "\(error)"])
        }
    }

    private func revoke(_ principal: RevokedPrincipal, keyID: OpaqueID) async {
        completed[keyID] = nil
        do {
            try await fleet.revoke([principal])
            logger.info("provisioning grant removed", metadata: ["fog.provisioning_key.id": "\(keyID)"])
        } catch {
            logger.warning(
                "provisioning grant not removed now; the next synchronisation removes it",
                metadata: ["fog.provisioning_key.id": "\(keyID)", "fog.error": "\(error)"])
        }
    }
}

extension Timestamp {
    init(date: Date) {
        self.init(millisecondsSinceEpoch: UInt64(max(0, date.timeIntervalSince1970 * 1_000)))
    }
}
