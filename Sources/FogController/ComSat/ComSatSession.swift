public import FogCore
internal import FogMQTT
public import Logging
internal import Metrics

/// The controller's connection to one ComSat, as the controller principal.
///
/// Connects out (TLS for mqtts) with a persistent session and automatic reconnection,
/// sends signed control commands and matches each signed response to its command by
/// correlation id. Responses are verified against the ComSat's pinned key; a session
/// cannot be created before that key is pinned (`.comsatKeyNotPinned`), and a command whose
/// answers fail verification under it ends in `.comsatKeyMismatch`. Both errors name the
/// file on the ComSat host that holds the key to pin.
///
/// The plugin delivers responses straight to the controller's client id, so no
/// subscription is needed; with the persistent session a response published while the
/// connection was down arrives after the reconnect, which is why a lost connection does
/// not fail pending commands — only their timeout does.
///
/// `onReconnect` runs after every re-established connection (not the first: whoever calls
/// `connect()` synchronises then), typically `GrantSync.synchronize`, because the ComSat
/// may have missed changes while the controller could not reach it.
public actor ComSatSession {
    public nonisolated let comsatID: OpaqueID
    public nonisolated let comsatName: String
    private let configuration: ComSatSessionConfiguration
    let client: MQTTClient
    /// Receive messages on topics other than the control response, by the topic's prefix
    /// (see `ComSatSession+Messages`): provisioning and agent commands each own one.
    var messageHandlers: [ComSatTopic.Prefix: MessageHandler] = [:]
    /// Receives what no prefix handler claims.
    var fallbackMessageHandler: MessageHandler?
    /// Filters subscribed through `subscribe(_:)`, renewed when a reconnection finds no session.
    var subscriptions: Set<String> = []
    private let credential: Secret
    private let logger: Logger
    private var codec: ComSatControlCodec
    private var nextCorrelationID: UInt64
    private var pending: [UInt64: CheckedContinuation<Result<ComSatResponse, ControllerError>, Never>] = [:]
    private var readers: [Task<Void, Never>] = []
    /// `.connected` events seen; the first is the initial connection, later ones reconnections.
    private var connectedEvents = 0
    private var onReconnect: (@Sendable (ComSatSession) async -> Void)?
    private let metrics: ComSatMetrics
    private let responseKey: SigningPublicKey
    /// Responses rejected because their signature does not verify under the pinned key.
    /// `send` reports a timeout during which this grew as `.comsatKeyMismatch`: the ComSat
    /// answers, but the key pinned for it is not its own.
    private var signatureFailures = 0

    /// Where the operator finds the key to pin, for errors about it.
    private static let keyFileHint =
        "copy the ComSat's public key from the file <identity_key_file>.pub on its host (plugin_opt_identity_key_file "
        + "in its comsat.conf plus .pub; by default \(ComSatEnrolment.defaultIdentityKeyPath).pub; the plugin also logs "
        + "it at every start) and pin it (enrolment's responseKey, or ControllerStore.pinResponseKey)"

    public init(
        comsat: ComSatRecord, home: ControllerHome, configuration: ComSatSessionConfiguration = .init(), logger: Logger,
        onReconnect: (@Sendable (ComSatSession) async -> Void)? = nil
    ) throws(ControllerError) {
        guard let responseKey = comsat.responseKey else {
            throw ControllerError(
                .comsatKeyNotPinned,
                "ComSat '\(comsat.name)' (\(comsat.id)) has no pinned response key, so its answers cannot be verified: "
                    + Self.keyFileHint)
        }
        let url = try ComSatURL(validating: comsat.url)
        if url.usesTLS, comsat.caFile == nil {
            throw ControllerError(.invalidURL, "ComSat '\(comsat.name)' uses TLS but has no CA file recorded")
        }
        credential = try home.comsatCredential(for: comsat.id)
        comsatID = comsat.id
        comsatName = comsat.name
        self.responseKey = responseKey
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "fog.comsat.id"] = "\(comsat.id)"
        self.logger = logger
        self.onReconnect = onReconnect
        client = MQTTClient(
            configuration: MQTTConfiguration(
                host: url.host, port: url.port, clientID: comsat.controllerClientID, username: comsat.controllerUsername,
                password: credential.text, tls: url.usesTLS ? comsat.caFile.map { MQTTTLSConfiguration(caFile: $0) } : nil,
                cleanStart: false, sessionExpiry: configuration.sessionExpiry, keepAlive: configuration.keepAlive,
                reconnect: configuration.reconnect, connectTimeout: configuration.connectTimeout,
                operationTimeout: configuration.operationTimeout),
            logger: logger)
        codec = ComSatControlCodec(
            controllerID: home.controllerID, signingKey: home.signingKey, comsatID: comsat.id, comsatKey: responseKey)
        // A random start, so correlation ids of a restarted controller never meet
        // responses still queued for its previous run.
        nextCorrelationID = UInt64.random(in: 1...(UInt64.max >> 1))
        metrics = ComSatMetrics()
    }

    /// Sets the handler run after each reconnection.
    public func setOnReconnect(_ handler: (@Sendable (ComSatSession) async -> Void)?) {
        onReconnect = handler
    }

    /// Connects (one attempt); later losses are retried per the reconnect policy.
    /// - Throws: `.comsatUnreachable` with the MQTT reason.
    public func connect() async throws(ControllerError) {
        if readers.isEmpty {
            let messages = client.messages
            let events = client.events
            readers.append(Task { [weak self] in
                for await message in messages {
                    await self?.receive(message)
                }
            })
            readers.append(Task { [weak self] in
                for await event in events {
                    await self?.handle(event)
                }
            })
        }
        do {
            try await client.connect()
        } catch {
            throw ControllerError(
                .comsatUnreachable, "cannot connect to ComSat '\(comsatName)' (\(comsatID)) at \(client.configuration.brokerAddress)",
                underlying: "\(error)")
        }
        logger.info("connected to ComSat")
    }

    public var isConnected: Bool { client.isConnected }

    /// Disconnects for good; pending commands fail with `.sessionClosed`.
    public func close() async {
        await client.disconnect()
        for task in readers { task.cancel() }
        readers.removeAll()
        for (_, continuation) in pending {
            continuation.resume(returning: .failure(ControllerError(.sessionClosed, "session to ComSat \(comsatID) closed")))
        }
        pending.removeAll()
    }

    /// Sends `command` and returns the ComSat's verified response with status `ok`.
    ///
    /// - Throws: `.responseTimeout`, `.comsatUnreachable` (publish failed), `.commandRefused`
    ///   (status malformed, refused or storageFailed, with the ComSat's reason),
    ///   `.invalidGrant` (the command could not be encoded), `.sessionClosed`.
    ///   Per-item failures are not errors here; see `GrantSync`.
    public func send(_ command: ComSatCommand, timeout: Duration? = nil) async throws(ControllerError) -> ComSatResponse {
        let correlationID = nextCorrelationID
        nextCorrelationID &+= 1
        let envelope: [UInt8]
        do {
            envelope = try codec.seal(ComSatRequest(correlationID: correlationID, command: command))
        } catch {
            throw ControllerError(.invalidGrant, "cannot encode \(command.code) for ComSat \(comsatID)", underlying: "\(error)")
        }
        let timeout = timeout ?? configuration.responseTimeout
        let signatureFailuresBefore = signatureFailures
        let clock = ContinuousClock()
        let started = clock.now
        let timer = Task {
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            self.finish(
                correlationID,
                .failure(ControllerError(
                    .responseTimeout,
                    "no response from ComSat '\(comsatName)' (\(comsatID)) to \(command.code) (correlation \(correlationID)) within \(timeout)")))
        }
        Task {
            do {
                try await self.client.publish(topic: ComSatTopic.control, payload: envelope, qos: .atLeastOnce)
            } catch {
                self.finish(
                    correlationID,
                    .failure(ControllerError(
                        .comsatUnreachable, "cannot publish \(command.code) to ComSat '\(comsatName)' (\(comsatID))",
                        underlying: "\(error)")))
            }
        }
        let result = await withCheckedContinuation { continuation in
            pending[correlationID] = continuation
        }
        timer.cancel()
        metrics.commandDuration.recordNanoseconds((clock.now - started).nanoseconds)
        switch result {
        case .failure(let error):
            metrics.command(command.code, result: error.code == .responseTimeout ? "timeout" : "failed")
            if error.code == .responseTimeout, signatureFailures > signatureFailuresBefore {
                throw ControllerError(
                    .comsatKeyMismatch,
                    "ComSat '\(comsatName)' (\(comsatID)) answered \(command.code), but its responses do not verify under "
                        + "the pinned key \(responseKey), so the pinned key is not this ComSat's: " + Self.keyFileHint
                        + "; a key already pinned is replaced by re-enrolling the ComSat")
            }
            throw error
        case .success(let response):
            guard response.status == .ok else {
                metrics.command(command.code, result: "refused")
                throw ControllerError(
                    .commandRefused,
                    "ComSat '\(comsatName)' (\(comsatID)) answered \(command.code) with \(response.status): \(response.reason)")
            }
            guard response.command == command.code else {
                metrics.command(command.code, result: "failed")
                throw ControllerError(
                    .responseInvalid,
                    "ComSat \(comsatID) answered correlation \(correlationID) for \(response.command.map { "\($0)" } ?? "nothing"), not \(command.code)")
            }
            metrics.command(command.code, result: "ok")
            return response
        }
    }

    /// Discards the persistent session of a removed grant's client id: connects as the
    /// controller with that client id, clean start, session expiry 0, and disconnects.
    /// The plugin only accepts this for client ids of removed grants awaiting a sweep.
    ///
    /// - Returns: false when the ComSat refused (nothing was pending for `clientID`).
    @discardableResult
    public func sweep(clientID: String) async throws(ControllerError) -> Bool {
        let base = client.configuration
        let sweeper = MQTTClient(
            configuration: MQTTConfiguration(
                host: base.host, port: base.port, clientID: clientID, username: base.username, password: credential.text,
                tls: base.tls, cleanStart: true, sessionExpiry: 0, connectTimeout: configuration.connectTimeout,
                operationTimeout: configuration.operationTimeout),
            logger: logger)
        do {
            try await sweeper.connect()
        } catch {
            await sweeper.disconnect()
            if error.code == .notAuthorized {
                logger.debug("sweep refused: no session awaiting a sweep", metadata: ["mqtt.client": "\(LogAlias.of(clientID))"])
                return false
            }
            throw ControllerError(.comsatUnreachable, "cannot sweep a session on ComSat \(comsatID)", underlying: "\(error)")
        }
        await sweeper.disconnect()
        metrics.sweeps.increment()
        return true
    }

    private func finish(_ correlationID: UInt64, _ result: Result<ComSatResponse, ControllerError>) {
        pending.removeValue(forKey: correlationID)?.resume(returning: result)
    }

    private func receive(_ message: MQTTMessage) {
        guard message.topic == ComSatTopic.response else {
            let handler = ComSatTopic.prefix(of: message.topic.utf8).flatMap { messageHandlers[$0] } ?? fallbackMessageHandler
            handler?(message.topic, message.payload)
            return
        }
        let response: ComSatResponse
        do {
            response = try codec.open(response: message.payload)
        } catch {
            metrics.responsesRejected.increment()
            if error.code == .signatureInvalid {
                signatureFailures += 1
            }
            logger.warning("rejected a response", metadata: ["fog.envelope.error": "\(error.code)"])
            return
        }
        guard let continuation = pending.removeValue(forKey: response.correlationID) else {
            logger.debug("response to no pending command", metadata: ["fog.comsat.correlation": "\(response.correlationID)"])
            return
        }
        continuation.resume(returning: .success(response))
    }

    private func handle(_ event: MQTTConnectionEvent) async {
        switch event {
        case .connected(let sessionPresent):
            connectedEvents += 1
            guard connectedEvents > 1 else { return }
            metrics.reconnects.increment()
            logger.info("reconnected to ComSat", metadata: ["mqtt.session_present": "\(sessionPresent)"])
            if !sessionPresent {
                for filter in subscriptions.sorted() {
                    do {
                        _ = try await client.subscribe(filter, qos: .atLeastOnce)
                    } catch {
                        logger.warning("cannot renew a subscription", metadata: ["mqtt.topic": "\(filter)", "fog.error": "\(error)"])
                    }
                }
            }
            if let onReconnect {
                Task { await onReconnect(self) }
            }
        case .disconnected(let reason):
            logger.info("connection to ComSat lost", metadata: ["mqtt.rc": "\(reason.map { "\($0)" } ?? "network")"])
        }
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
