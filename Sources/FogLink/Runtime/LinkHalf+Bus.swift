import FogCore
import FogMQTT
import Logging

/// The local bus side: delivery of inbound messages in order and the delivered point (echo
/// record and receive cursor). Intake of outbound routes into the queue is `BusIntake`, on
/// the bus client's thread.
extension LinkHalf {
    /// Connects to the bus forever; after the first connection recovers the delivered point.
    func runBus() async {
        var attempt = 0
        var events = bus.events.makeAsyncIterator()
        while !stopping && !Task.isCancelled {
            do {
                if !bus.isConnected {
                    try await bus.connect()
                }
                try await busConnectedNow()
                attempt = 0
            } catch {
                attempt += 1
                logConnectFailure("local bus", bus.configuration.brokerAddress, error, attempt: attempt)
                busConnected = false
                if !(await pause(configuration.reconnect.delay(beforeAttempt: attempt))) { return }
                continue
            }
            while let event = await events.next(isolation: self) {
                if case .disconnected(let reason) = event {
                    busConnected = false
                    if !stopping {
                        logger.warning(
                            "local bus connection lost", metadata: ["mqtt.rc": "\(reason.map { "\($0)" } ?? "network")"])
                    }
                    break
                }
            }
            if stopping { return }
        }
    }

    private func busConnectedNow() async throws(MQTTError) {
        for topic in outboundChannels.keys.sorted() {
            try await bus.subscribe(topic, qos: .atLeastOnce)
        }
        if echoEnabled {
            // The echo subscription: the bus sends each delivery back to this persistent
            // session, where it waits (unacknowledged) until `BusIntake` recorded it.
            for topic in Set(inboundTopics.values.joined()).sorted() {
                do {
                    try await bus.subscribe(topic, qos: .atLeastOnce)
                } catch where error.code == .subscriptionRefused {
                    echoEnabled = false
                    logger.warning(
                        "local bus refuses the echo subscription; a crash while delivering may then repeat one message",
                        metadata: ["fog.bus.topic": "\(topic)", "error": "\(error)"])
                    break
                }
            }
        }
        if !recovered {
            await recoverDeliveredPoint()
        }
        busConnected = true
        logger.info("connected to the local bus", metadata: ["fog.bus": "\(bus.configuration.brokerAddress)"])
        deliveryWake.yield()
    }

    /// Learns the last message the bus accepted: echoes of deliveries the previous run did
    /// not acknowledge are queued in the persistent session and arrive first after the
    /// reconnect; a probe published on the marker topic now comes back after all of them, so
    /// once it is seen `EchoRecord` holds every echo there is.
    private func recoverDeliveredPoint() async {
        defer {
            receivedThrough = max(receivedThrough, echoes.echoed)
            busAccepted = max(busAccepted, echoes.echoed)
            recovered = true
            logger.info(
                "delivered point recovered",
                metadata: ["fog.link.cursor": "\(cursor.delivered)", "fog.link.echoed": "\(echoes.echoed)"])
        }
        guard echoEnabled else { return }
        var probe: [UInt8] = []
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<16 { probe.append(generator.next()) }
        markerProbe = probe
        do {
            try await bus.subscribe(markerTopic, qos: .atLeastOnce)
            try await bus.publish(topic: markerTopic, payload: probe, qos: .atLeastOnce)
        } catch {
            probeFailed(error)
            return
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while !markerProbeSeen && ContinuousClock.now < deadline {
            if !(await pause(.milliseconds(5))) { return }
        }
        if !markerProbeSeen {
            probeFailed(MQTTError(.timeout, "probe on \(markerTopic) not echoed within 10 s"))
        }
        markerProbe = nil
        try? await bus.unsubscribe(markerTopic)
    }

    func probeFailed(_ error: any Error) {
        logger.warning(
            "probe on the marker topic failed; echoes still queued on the bus may be missed, so a crash while delivering may repeat one message",
            metadata: ["fog.bus.topic": "\(markerTopic)", "error": "\(error)"])
    }

    /// Takes the probe back from `BusIntake`.
    func consumeBusMessages() async {
        for await message in busControl where message.payload == markerProbe {
            markerProbeSeen = true
        }
    }

    /// Publishes accepted inbound messages in order, each after the previous was accepted.
    func runDelivery() async throws {
        for await _ in deliveryWakes {
            await deliverPending()
        }
    }

    private func deliverPending() async {
        while deliveryHead < deliveryQueue.count, busConnected, !stopping {
            let (sequence, message) = deliveryQueue[deliveryHead]
            let topics = inboundTopics[message.channel] ?? []
            if topics.isEmpty {
                metrics.messagesRefused.increment()
                logger.warning(
                    "no inbound route for the channel; message not delivered",
                    metadata: ["fog.link.channel": "\(message.channel)", "fog.link.sequence": "\(sequence)"])
            }
            while headTopicsDone < topics.count {
                // Only the last topic's delivery completes the message, so only its echo
                // may count it as delivered (a crash between topics repeats the earlier ones
                // rather than losing the later ones).
                let isLast = headTopicsDone == topics.count - 1
                if isLast && echoEnabled && echoes.echoed >= sequence {
                    // An earlier attempt, given up on as timed out, reached the bus after all.
                    headTopicsDone += 1
                    continue
                }
                let properties = isLast ? [MQTTUserProperty(BusIntake.sequenceProperty, "\(sequence)")] : []
                do {
                    try await bus.publish(
                        topic: topics[headTopicsDone], payload: message.payload, qos: .atLeastOnce,
                        userProperties: properties)
                    headTopicsDone += 1
                } catch {
                    switch error.code {
                    case .publishRejected:
                        logger.error(
                            "local bus refused a delivery; retrying",
                            metadata: ["fog.bus.topic": "\(topics[headTopicsDone])", "error": "\(error)"])
                        if !(await pause(.seconds(1))) { return }
                    case .timeout where busConnected:
                        // Nothing else would wake delivery (the bus did not disconnect), and the
                        // publish is still in libmosquitto's hands: it may yet be accepted. Its echo
                        // says so; publishing again before then could deliver the message twice.
                        logger.warning(
                            "local bus slow to acknowledge a delivery; waiting for it",
                            metadata: ["fog.link.sequence": "\(sequence)", "error": "\(error)"])
                        metrics.busDeliveryTimeouts.increment()
                        let deadline = ContinuousClock.now + configuration.busDeliveryPatience
                        while isLast && echoEnabled && echoes.echoed < sequence && busConnected
                            && ContinuousClock.now < deadline
                        {
                            if !(await pause(.milliseconds(20))) { return }
                        }
                    default:
                        // Disconnected: the bus's reconnection wakes delivery again.
                        return
                    }
                }
            }
            headTopicsDone = 0
            deliveryHead += 1
            if deliveryHead > 4_096 {
                deliveryQueue.removeFirst(deliveryHead)
                deliveryHead = 0
            }
            busAccepted = sequence
            metrics.messagesDelivered.increment()
        }
    }

    /// Writes the receive cursor (it lags the echo record; acknowledgements to the peer never
    /// pass it, so a restart never recovers a point below what the peer forgot).
    func persistCursor(force: Bool = false) {
        guard busAccepted > cursor.delivered else { return }
        let now = ContinuousClock.now
        guard force || now - lastCursorWrite >= configuration.cursorInterval else { return }
        do {
            try cursor.advance(to: busAccepted)
            lastCursorWrite = now
        } catch {
            logger.error("cannot write the receive cursor: \(error)")
        }
    }

    func logConnectFailure(_ what: String, _ address: String, _ error: any Error, attempt: Int) {
        let level: Logger.Level = attempt == 1 || attempt.isMultiple(of: 20) ? .warning : .debug
        logger.log(
            level: level, "cannot connect to the \(what); retrying",
            metadata: ["fog.broker": "\(address)", "fog.attempt": "\(attempt)", "error": "\(error)"])
    }
}
