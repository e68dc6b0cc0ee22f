import FogCore
import FogMQTT
import Logging

/// Batching queued messages into sealed frames, acknowledgements, and the timers.
extension LinkHalf {
    func runSender() async throws {
        for await _ in senderWakes {
            try await sendAvailable()
        }
    }

    /// Sends frames while the session is up, the window has room and records are queued.
    private func sendAvailable() async throws {
        var lingered = false
        while session.isUp, comsatConnected, !stopping {
            let inFlight = nextToSend > peerAcknowledged ? nextToSend - peerAcknowledged - 1 : 0
            let room = configuration.maximumInFlight - Int(min(inFlight, UInt64(configuration.maximumInFlight)))
            var records: [DiskQueueRecord] = []
            if room > 0 {
                do {
                    records = try await queue.records(
                        from: nextToSend, maximumCount: min(room, Int(UInt16.max)),
                        maximumBytes: configuration.maximumFrameBytes - 64)
                } catch {
                    throw LinkHalfError(.queueFailed, "cannot read the queue", underlying: error)
                }
            }
            let bytes = records.reduce(0) { $0 + $1.bytes.count }
            if !records.isEmpty, !lingered, bytes < configuration.maximumFrameBytes / 2,
                configuration.linger > .zero
            {
                // Let a few more messages join this frame.
                lingered = true
                if !(await pause(configuration.linger)) { return }
                continue
            }
            lingered = false
            let acknowledgement = acknowledgementDue(piggyback: !records.isEmpty)
            if records.isEmpty && acknowledgement == nil { return }
            var payload = LinkPayload(acknowledged: acknowledgement)
            if let first = records.first {
                let head = await queue.statistics.firstUnacknowledged
                if first.sequence == head {
                    payload.floor = head
                }
                payload.firstSequence = first.sequence
                payload.messages = Self.messages(from: records)
            }
            if payload.messages.isEmpty && payload.acknowledged == nil { return }
            let frame: [UInt8]
            do {
                frame = try session.seal(payload)
            } catch {
                return
            }
            if let acknowledgement {
                acknowledgementSent = acknowledgement
                acknowledgementNeeded = false
                lastAcknowledgementSent = .now
            }
            if let last = payload.lastSequence {
                if nextToSend == peerAcknowledged + 1 {
                    lastAcknowledgementProgress = .now
                }
                nextToSend = last + 1
            }
            await publishFrame(frame)
        }
    }

    /// Consecutive records as messages, cut at the first that is not (cannot happen with
    /// `DiskQueue`, whose sequences are contiguous, but a frame must never claim a wrong one).
    private static func messages(from records: [DiskQueueRecord]) -> [LinkMessage] {
        var messages: [LinkMessage] = []
        messages.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            guard record.sequence == records[0].sequence + UInt64(index),
                record.bytes.count >= BusIntake.recordHeaderSize
            else { break }
            // Bytes 2-3 are the bus packet identifier, for the half's own use (`BusIntake`).
            let channel = UInt16(record.bytes[0]) << 8 | UInt16(record.bytes[1])
            messages.append(LinkMessage(channel: channel, payload: Array(record.bytes[BusIntake.recordHeaderSize...])))
        }
        return messages
    }

    /// The acknowledgement to send now, if the receive cursor (what survives a crash) moved
    /// or a duplicate or gap asked for it: at once when it can ride on a data frame (`piggyback`)
    /// or was asked for, else at most every `acknowledgementInterval`.
    private func acknowledgementDue(piggyback: Bool) -> UInt64? {
        let point = cursor.delivered
        guard point > 0, point > acknowledgementSent || acknowledgementNeeded else { return nil }
        let intervalPassed = ContinuousClock.now - lastAcknowledgementSent >= configuration.acknowledgementInterval
        return piggyback || acknowledgementNeeded || intervalPassed ? point : nil
    }

    /// Handshake retries, retransmission, cursor writes, acknowledgements, queue reports.
    func runTicker() async throws {
        while await pause(.milliseconds(10)) {
            await tick()
        }
    }

    private func tick() async {
        let now = ContinuousClock.now
        if session.isUp {
            handshakeProgress = now
        } else if comsatConnected, now - handshakeProgress >= configuration.handshakeStall {
            logger.notice("handshake stalled; starting over with a fresh key", metadata: ["fog.link.stalled": "\(now - handshakeProgress)"])
            metrics.handshakeRestarts.increment()
            await startHandshake()
            return
        }
        if comsatConnected, !session.isUp, let sent = lastHelloSent, now - sent >= configuration.handshakeRetry {
            lastHelloSent = now
            await publishFrame(session.hello(), qos: .atMostOnce)
        }
        if session.isUp, nextToSend > peerAcknowledged + 1,
            now - lastAcknowledgementProgress >= configuration.retransmitTimeout
        {
            metrics.retransmissions.increment()
            logger.info(
                "no acknowledgement progress; sending again",
                metadata: ["fog.link.from": "\(peerAcknowledged + 1)", "fog.link.through": "\(nextToSend - 1)"])
            nextToSend = peerAcknowledged + 1
            lastAcknowledgementProgress = now
            // With the producer idle nothing else would wake the sender.
            senderWake.yield()
        }
        persistCursor()
        if session.isUp, cursor.delivered > acknowledgementSent || acknowledgementNeeded {
            senderWake.yield()
        }
        await reportQueue(now: now)
    }

    private func reportQueue(now: ContinuousClock.Instant) async {
        if let last = lastQueueReportTime, now - last < .seconds(1) { return }
        let statistics = await queue.statistics
        let current = (messages: statistics.pendingCount, bytes: statistics.pendingBytes)
        if let previous = lastQueueReport, previous == current { return }
        lastQueueReport = current
        lastQueueReportTime = now
        output.queue(messages: current.messages, bytes: current.bytes)
    }
}
