import FogCore
import FogMQTT
import Logging

/// The ComSat side: connection, handshake, and frames from the peer.
extension LinkHalf {
    /// Connects to the ComSat forever, once the delivered point is known; every connection
    /// starts a new handshake.
    func runComSat() async {
        while !recovered {
            if !(await pause(.milliseconds(10))) { return }
        }
        var attempt = 0
        var events = comsat.events.makeAsyncIterator()
        while !stopping && !Task.isCancelled {
            do {
                if !comsat.isConnected {
                    try await comsat.connect()
                }
                // Also with a resumed session: a ComSat killed before saving lost it.
                try await comsat.subscribe(assignment.subscribeTopic, qos: .atLeastOnce)
                attempt = 0
            } catch {
                attempt += 1
                logConnectFailure("ComSat", comsat.configuration.brokerAddress, error, attempt: attempt)
                if !(await pause(configuration.reconnect.delay(beforeAttempt: attempt))) { return }
                continue
            }
            await comsatConnectedNow()
            while let event = await events.next(isolation: self) {
                if case .disconnected(let reason) = event {
                    comsatConnected = false
                    if !stopping {
                        setState(.down)
                        logger.warning(
                            "ComSat connection lost", metadata: ["mqtt.rc": "\(reason.map { "\($0)" } ?? "network")"])
                    }
                    break
                }
            }
        }
    }

    private func comsatConnectedNow() async {
        comsatConnected = true
        logger.info("connected to the ComSat; handshaking", metadata: ["fog.broker": "\(comsat.configuration.brokerAddress)"])
        await startHandshake()
    }

    /// A fresh own key, hence keys the peer has never seen: whatever either side held before
    /// (including a late, redelivered hello of an earlier connection) is stale.
    func startHandshake() async {
        let hello = session.rekey()
        metrics.handshakes.increment()
        restartSending()
        setState(.handshaking)
        handshakeProgress = .now
        unverifiedFrames = 0
        firstUnverifiedFrame = nil
        await publishFrame(hello, qos: .atMostOnce)
        lastHelloSent = .now
    }

    /// Everything unacknowledged goes out again under the new keys; the peer de-duplicates.
    func restartSending() {
        nextToSend = peerAcknowledged + 1
        lastAcknowledgementProgress = .now
        acknowledgementSent = 0
        acknowledgementNeeded = true
    }

    func consumeComSatFrames() async {
        for await message in comsat.messages where message.topic == assignment.subscribeTopic {
            await handleFrame(message.payload)
        }
    }

    /// Opens one frame; a refused frame is counted and logged, never fatal.
    func handleFrame(_ frame: [UInt8]) async {
        let epoch = session.keyEpoch
        let event: LinkSession.Event
        do {
            event = try session.open(frame)
        } catch {
            metrics.framesRejected("\(error.code)")
            let level: Logger.Level = error.code == .staleKey || error.code == .notReady ? .debug : .warning
            logger.log(level: level, "frame refused", metadata: ["fog.link.reason": "\(error.code)", "error": "\(error.message)"])
            if error.code == .authenticationFailed || error.code == .staleKey {
                await keysMayDisagree()
            }
            return
        }
        unverifiedFrames = 0
        firstUnverifiedFrame = nil
        metrics.framesReceived.increment()
        if session.keyEpoch != epoch {
            restartSending()
        }
        switch event {
        case .hello(let reply):
            if let reply {
                await publishFrame(reply, qos: .atMostOnce)
                lastHelloSent = .now
            }
        case .payload(let payload):
            await accept(payload)
        }
        if comsatConnected {
            // A peer that restarted brings a new key: back to handshaking until it echoes ours.
            setState(session.isUp ? .up : .handshaking)
            if session.isUp { senderWake.yield() }
        }
    }

    private func accept(_ payload: LinkPayload) async {
        if let acknowledged = payload.acknowledged {
            await peerAcknowledged(through: acknowledged)
        }
        if let floor = payload.floor, floor > receivedThrough + 1 {
            let skipped = floor - 1 - receivedThrough
            metrics.messagesSkipped.increment(by: Int64(skipped))
            logger.warning(
                "the peer no longer holds messages this half has not delivered; skipping them",
                metadata: [
                    "fog.link.from": "\(receivedThrough + 1)", "fog.link.through": "\(floor - 1)",
                    "fog.link.count": "\(skipped)",
                ])
            receivedThrough = floor - 1
        }
        guard !payload.messages.isEmpty else { return }
        var accepted = 0
        for (index, message) in payload.messages.enumerated() {
            let sequence = payload.firstSequence + UInt64(index)
            if sequence <= receivedThrough {
                metrics.duplicatesDropped.increment()
                acknowledgementNeeded = true
                continue
            }
            guard sequence == receivedThrough + 1 else {
                // A gap (frames lost with a ComSat crash): the sender goes back after its
                // retransmission timeout; the acknowledgement tells it where to resume.
                acknowledgementNeeded = true
                break
            }
            receivedThrough = sequence
            deliveryQueue.append((sequence, message))
            accepted += 1
        }
        if accepted > 0 {
            deliveryWake.yield()
        }
    }

    private func peerAcknowledged(through sequence: UInt64) async {
        guard sequence > peerAcknowledged else { return }
        let statistics = await queue.statistics
        let bounded = min(sequence, statistics.nextSequence - 1)
        guard bounded > peerAcknowledged else { return }
        do {
            try await queue.acknowledge(through: bounded)
        } catch {
            logger.error("cannot record the peer's acknowledgement: \(error)")
            return
        }
        peerAcknowledged = max(peerAcknowledged, bounded)
        nextToSend = max(nextToSend, peerAcknowledged + 1)
        lastAcknowledgementProgress = .now
        senderWake.yield()
    }

    /// Frames of the peer that keep failing while this half is up — sealed under a key this
    /// half does not hold (`staleKey`) or under the right key hint but not verifying
    /// (`authenticationFailed`) — mean the halves hold different keys: MQTT delivered a hello
    /// of an earlier key late, after the exchange had settled (see `LinkSessionTests`), and
    /// neither half sends a hello while it is up. A fresh handshake settles it. Frames sealed
    /// just before a rekey also fail, briefly; only failures that persist for
    /// `keyDisagreementWindow` count. (Someone forging frames could force handshakes this way,
    /// which costs the link no more than dropping its frames would.)
    private func keysMayDisagree() async {
        guard session.isUp else { return }
        let now = ContinuousClock.now
        unverifiedFrames += 1
        let first = firstUnverifiedFrame ?? now
        firstUnverifiedFrame = first
        guard unverifiedFrames >= 3, now - first >= configuration.keyDisagreementWindow else { return }
        logger.notice(
            "frames of the peer fail authentication; starting over with a fresh key",
            metadata: ["fog.link.unverified": "\(unverifiedFrames)"])
        metrics.handshakeRestarts.increment()
        await startHandshake()
    }

    /// Publishes a frame on this side's topic; failures are left to retransmission.
    ///
    /// Hellos go at QoS 0: an MQTT client resends an unacknowledged QoS 1 message after it
    /// reconnects, which would deliver a hello of a key the half has since replaced. A lost
    /// hello is repeated by the handshake anyway.
    func publishFrame(_ frame: [UInt8], qos: MQTTQoS = .atLeastOnce) async {
        do {
            try await comsat.publish(topic: assignment.publishTopic, payload: frame, qos: qos)
            metrics.framesSent.increment()
            metrics.frameBytesSent.increment(by: Int64(frame.count))
        } catch {
            logger.debug("frame not published: \(error)")
        }
    }
}
