import Dispatch
import FogMQTT
import Logging
import Synchronization

/// What the half does with each message from its local bus, on the bus client's network
/// thread, before libmosquitto writes the message's PUBACK (`MQTTClient.SynchronousHandler`).
///
/// - An outbound route's message is appended to the queue and is durable when this returns,
///   so a `kill -9` of the half never loses a message the bus considers delivered.
/// - An echo of the half's own delivery (an inbound topic, carrying the link sequence as the
///   `fog-link-seq` user property) is recorded in `EchoRecord` before its PUBACK; echoes that
///   were not acknowledged stay in the persistent bus session and come back after a crash.
/// - Marker-topic messages (the recovery probe) go to the actor through `control`.
///
/// Queue records are `u16` channel, `u16` bus packet identifier, payload. The identifier
/// lets a restarted half recognise the bus resending messages it had already queued but
/// whose PUBACK had not left yet (libmosquitto writes PUBACKs after a read batch, so up to a
/// few): the bus resends unacknowledged messages first, under their old identifiers, so
/// while incoming messages match the queue's tail (identifier, channel and payload) they
/// are acknowledged without being queued twice; the first that does not ends the check.
///
/// A queue or record that cannot be written is fatal: the failure goes to `failures` (the
/// half stops) and this thread parks, so the message is never acknowledged to the bus.
final class BusIntake: Sendable {
    /// User property carrying the link sequence on the half's deliveries to its bus.
    static let sequenceProperty = "fog-link-seq"
    /// Bytes before the payload in a queue record.
    static let recordHeaderSize = 4
    /// Queue records checked against redeliveries after a start: more than the bus keeps in
    /// flight to one client (Mosquitto's `max_inflight_messages`, 20 by default).
    static let redeliveryWindow = 1_024

    /// Packet identifier → payloads (one per channel) of the queue's tail, until the first
    /// message that is not a redelivery.
    private let redelivery = Mutex<[UInt16: [[UInt8]]]>([:])

    let queue: DiskQueue
    let echoes: EchoRecord
    let outboundChannels: [String: [UInt16]]
    let inboundTopics: Set<String>
    let markerTopic: String
    let control: AsyncStream<MQTTMessage>.Continuation
    let queued: AsyncStream<Void>.Continuation
    let failures: AsyncStream<LinkHalfError>.Continuation
    let metrics: LinkMetrics
    let logger: Logger

    init(
        queue: DiskQueue, echoes: EchoRecord, outboundChannels: [String: [UInt16]], inboundTopics: Set<String>,
        markerTopic: String, control: AsyncStream<MQTTMessage>.Continuation,
        queued: AsyncStream<Void>.Continuation, failures: AsyncStream<LinkHalfError>.Continuation,
        metrics: LinkMetrics, logger: Logger
    ) {
        self.queue = queue
        self.echoes = echoes
        self.outboundChannels = outboundChannels
        self.inboundTopics = inboundTopics
        self.markerTopic = markerTopic
        self.control = control
        self.queued = queued
        self.failures = failures
        self.metrics = metrics
        self.logger = logger
    }

    /// The bus client's synchronous handler.
    func receive(_ message: MQTTMessage) {
        if message.topic == markerTopic {
            control.yield(message)
            return
        }
        if inboundTopics.contains(message.topic) {
            if let text = message.userProperty(Self.sequenceProperty) {
                recordEcho(text, topic: message.topic)
                return
            }
            // A message on an inbound topic the half did not publish: not an echo.
            if outboundChannels[message.topic] == nil { return }
        }
        guard let channels = outboundChannels[message.topic] else { return }
        guard message.payload.count <= LinkMessage.maximumPayloadSize else {
            metrics.messagesRefused.increment()
            logger.warning(
                "local message too large for the link; not forwarded",
                metadata: [
                    "fog.bus.topic": "\(message.topic)", "fog.message.bytes": "\(message.payload.count)",
                    "fog.message.limit": "\(LinkMessage.maximumPayloadSize)",
                ])
            return
        }
        let identifier = message.packetIdentifier
        let records = channels.map { channel in
            [
                UInt8(channel >> 8), UInt8(truncatingIfNeeded: channel), UInt8(identifier >> 8),
                UInt8(truncatingIfNeeded: identifier),
            ] + message.payload
        }
        if isRedelivery(records, identifier: identifier) {
            logger.info(
                "bus resent a message already queued; not queued again",
                metadata: ["fog.bus.topic": "\(message.topic)", "mqtt.packet.id": "\(identifier)"])
            return
        }
        switch appendDurably(records) {
        case .success:
            metrics.messagesQueued.increment(by: Int64(records.count))
            queued.yield()
        case .failure(let error):
            fail(LinkHalfError(.queueFailed, "cannot append a message from '\(message.topic)'", underlying: error))
        }
    }

    /// Arms the redelivery check with the queue's tail (call before the bus connects).
    func expectRedelivery(of tail: [DiskQueueRecord]) {
        var expected: [UInt16: [[UInt8]]] = [:]
        for record in tail where record.bytes.count >= Self.recordHeaderSize {
            let identifier = UInt16(record.bytes[2]) << 8 | UInt16(record.bytes[3])
            guard identifier != 0 else { continue }
            // A message on several channels is several consecutive records.
            expected[identifier, default: []].append(record.bytes)
        }
        redelivery.withLock { $0 = expected }
    }

    private func isRedelivery(_ records: [[UInt8]], identifier: UInt16) -> Bool {
        redelivery.withLock { expected in
            guard !expected.isEmpty else { return false }
            if identifier != 0, expected[identifier] == records {
                expected[identifier] = nil
                return true
            }
            expected.removeAll()
            return false
        }
    }

    private func recordEcho(_ text: String, topic: String) {
        guard let sequence = UInt64(text) else {
            logger.warning(
                "echo with an unreadable link sequence ignored", metadata: ["fog.bus.topic": "\(topic)"])
            return
        }
        do {
            try echoes.record(sequence)
        } catch {
            fail(LinkHalfError(.queueFailed, "cannot record the echo of \(sequence)", underlying: error))
        }
    }

    /// Waits on this (non-cooperative) thread for the queue's group commit.
    private func appendDurably(_ records: [[UInt8]]) -> Result<ClosedRange<UInt64>, DiskQueueError> {
        let outcome = Mutex<Result<ClosedRange<UInt64>, DiskQueueError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let queue = queue
        Task {
            let result: Result<ClosedRange<UInt64>, DiskQueueError>
            do throws(DiskQueueError) {
                result = .success(try await queue.append(contentsOf: records))
            } catch {
                result = .failure(error)
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        return outcome.withLock { $0 } ?? .failure(DiskQueueError(code: .closed, path: "", message: "append did not finish"))
    }

    /// Reports a fatal failure and never returns: returning would acknowledge the message.
    private func fail(_ error: LinkHalfError) -> Never {
        logger.error("link half cannot store what the bus handed over; stopping", metadata: ["error": "\(error)"])
        failures.yield(error)
        while true {
            DispatchSemaphore(value: 0).wait()
        }
    }
}
