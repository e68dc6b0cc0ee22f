import FogMQTT

/// Publisher/subscriber pairs on one swarm, each pair on its own topic, QoS 1, with
/// sequence-numbered, timestamped payloads.
///
/// Subscribers connect and subscribe before any publisher connects, so a broker that gates
/// a link on both halves having authenticated (ComSat's opt-in) lets traffic flow from the
/// first message. Sequence trackers persist across phases: loss and duplicates are counted
/// over the whole run.
///
/// - Important: Confined to the thread that created it, like its swarm.
final class PairTraffic: MQTTSwarmHandler {
    /// Totals over every phase run so far.
    struct Totals: Sendable {
        var sent = 0
        var received = 0
        var lost = 0
        var duplicates = 0
        var outOfOrder = 0
        /// PUBACKs with a failure reason code (e.g. 0x87 not authorized).
        var rejectedPublishes = 0
        var firstRejection: UInt8?
        /// Publishes libmosquitto refused to queue.
        var publishFailures = 0
        var firstPublishFailure: String?
        /// Connections that closed without being asked to.
        var lostConnections = 0
        /// Payloads that did not carry this pair's stream header.
        var foreignMessages = 0

        mutating func add(_ other: Totals) {
            sent += other.sent
            received += other.received
            lost += other.lost
            duplicates += other.duplicates
            outOfOrder += other.outOfOrder
            rejectedPublishes += other.rejectedPublishes
            firstRejection = firstRejection ?? other.firstRejection
            publishFailures += other.publishFailures
            firstPublishFailure = firstPublishFailure ?? other.firstPublishFailure
            lostConnections += other.lostConnections
            foreignMessages += other.foreignMessages
        }
    }

    private let swarm: MQTTSwarm
    private let pairs: [TrafficPair]
    private let publishers: [MQTTSwarmConnectionID]
    private let subscribers: [MQTTSwarmConnectionID]
    /// Pair index of each subscriber connection, -1 for publishers.
    private let pairOfConnection: [Int]
    private let payload: UnsafeMutableRawBufferPointer

    private var sent: [UInt64]
    private var trackers: [SequenceTracker]
    /// Closed loop: sequence numbers below this no longer count as in flight (given up on
    /// after a stall), so one lost message cannot stop a pair for good.
    private var givenUpBelow: [UInt64]
    private var lastProgress: [UInt64]
    private var totals = Totals()

    // State of the phase in progress.
    private var sending = false
    private var window: UInt64 = 0
    /// Counted closed-loop phase: the sequence number each pair stops at; empty otherwise.
    private var limits: [UInt64] = []
    private var windowStart: UInt64 = 0
    private var windowEnd: UInt64 = 0
    private var deliveredInWindow = 0
    private var histogram = LatencyHistogram()

    /// A closed-loop pair with no arrival for this long (nanoseconds) stops waiting for what it
    /// sent. A phase that cuts the path on purpose raises it above the cut.
    var stallTimeout: UInt64 = 2_000_000_000

    /// When set, every send and arrival is also accounted by the second it was sent in.
    var ledger: DeliveryLedger?
    /// PUBACKs received, refusals included.
    private var acknowledgedPublishes = 0
    /// Reconnection after a broker restart; nil outside `recover`.
    private var recovery: RecoveryState?

    init(pairs: [TrafficPair], payloadSize: Int) throws {
        guard payloadSize >= SequencedPayload.headerSize else {
            throw BenchError(.invalidArgument, "payload size \(payloadSize) is below the \(SequencedPayload.headerSize)-byte sequence header")
        }
        let swarm = try MQTTSwarm()
        var publishers: [MQTTSwarmConnectionID] = []
        var subscribers: [MQTTSwarmConnectionID] = []
        var pairOfConnection: [Int] = []
        for (index, pair) in pairs.enumerated() {
            subscribers.append(try swarm.add(pair.subscriber))
            pairOfConnection.append(index)
            publishers.append(try swarm.add(pair.publisher))
            pairOfConnection.append(-1)
        }
        self.swarm = swarm
        self.pairs = pairs
        self.publishers = publishers
        self.subscribers = subscribers
        self.pairOfConnection = pairOfConnection
        payload = .allocate(byteCount: payloadSize, alignment: 8)
        payload.initializeMemory(as: UInt8.self, repeating: 0x2E)
        sent = Array(repeating: 0, count: pairs.count)
        trackers = Array(repeating: SequenceTracker(), count: pairs.count)
        givenUpBelow = Array(repeating: 0, count: pairs.count)
        lastProgress = Array(repeating: 0, count: pairs.count)
    }

    deinit {
        payload.deallocate()
    }

    /// Connections the broker accepted that are still open.
    var connectedCount: Int { swarm.connectedCount }

    /// Connects every subscriber, subscribes each to its topic, then connects every
    /// publisher.
    func establish(timeout: Duration) throws {
        try swarm.connect(subscribers, timeout: timeout, handler: self)
        for (index, subscriber) in subscribers.enumerated() {
            try swarm.subscribe(subscriber, topic: pairs[index].topic, qos: .atLeastOnce)
        }
        try swarm.waitForSubscriptions(timeout: timeout, handler: self)
        try swarm.connect(publishers, timeout: timeout, handler: self)
    }

    func disconnect(timeout: Duration) throws {
        try swarm.disconnectAll(timeout: timeout, handler: self)
    }

    /// Runs one phase: `warmup`, then a measured window of `duration`, then waits up to
    /// `drainTimeout` for messages still in flight. With `messagesPerPair` (closed loop only)
    /// each pair stops after that many and the window covers the whole phase.
    func runPhase(
        _ mode: TrafficMode,
        warmup: Duration,
        duration: Duration,
        messagesPerPair: Int? = nil,
        drainTimeout: Duration,
        brokerPID: Int32?
    ) throws -> TrafficPhaseResult {
        let start = MonotonicClock.nanoseconds()
        let counted = messagesPerPair.map { UInt64(max(1, $0)) }
        deliveredInWindow = 0
        histogram = LatencyHistogram()
        windowStart = counted == nil ? start + MonotonicClock.nanoseconds(of: warmup) : start
        windowEnd = counted == nil ? windowStart + MonotonicClock.nanoseconds(of: duration) : .max
        limits = counted.map { limit in sent.map { $0 + limit } } ?? []

        var cpuAtWindowStart: (broker: Double?, generator: Double)?
        if windowStart <= start {
            cpuAtWindowStart = (brokerPID.flatMap(CPUTime.process), CPUTime.currentThread())
        }

        sending = true
        var openLoopRate = 0.0
        var openLoopSent: UInt64 = 0
        var cursor = 0
        var maximumBacklog: UInt64 = 0
        switch mode {
        case .closedLoop(let size):
            window = UInt64(max(1, size))
            for pair in pairs.indices {
                lastProgress[pair] = start
                refill(pair)
            }
        case .openLoop(let rate):
            openLoopRate = rate
            window = 0
        }

        var nextStallCheck = start + stallTimeout
        var phaseEnd = start
        while true {
            let now = MonotonicClock.nanoseconds()
            if cpuAtWindowStart == nil, now >= windowStart {
                cpuAtWindowStart = (brokerPID.flatMap(CPUTime.process), CPUTime.currentThread())
            }
            if now >= windowEnd {
                phaseEnd = now
                break
            }
            if counted != nil, countedPhaseDone() {
                phaseEnd = now
                break
            }
            switch mode {
            case .closedLoop:
                try swarm.poll(timeout: .milliseconds(10), handler: self)
                if now >= nextStallCheck {
                    nextStallCheck = now + stallTimeout / 2
                    releaseStalledPairs(now: now)
                }
            case .openLoop:
                try swarm.poll(timeout: .milliseconds(1), handler: self)
                let elapsed = Double(MonotonicClock.nanoseconds() - start) / 1e9
                let due = UInt64(elapsed * openLoopRate)
                if due > openLoopSent {
                    // Bounded bursts keep the loop reading while it catches up.
                    let burst = min(due - openLoopSent, UInt64(max(64, pairs.count)))
                    for _ in 0..<burst {
                        send(cursor)
                        cursor = (cursor + 1) % pairs.count
                    }
                    openLoopSent += burst
                    maximumBacklog = max(maximumBacklog, due - openLoopSent)
                }
            }
        }
        sending = false
        limits = []
        var brokerCPUEnd = brokerPID.flatMap(CPUTime.process)
        var generatorCPUEnd = CPUTime.currentThread()
        let windowSeconds = Double(min(phaseEnd, windowEnd) - min(windowStart, phaseEnd)) / 1e9

        try drain(timeout: drainTimeout)
        // A counted phase measures from the first send to the last arrival, drain included.
        let countedSeconds = Double(MonotonicClock.nanoseconds() - start) / 1e9
        if counted != nil {
            brokerCPUEnd = brokerPID.flatMap(CPUTime.process)
            generatorCPUEnd = CPUTime.currentThread()
        }
        return TrafficPhaseResult(
            mode: mode,
            delivered: deliveredInWindow,
            windowSeconds: counted == nil ? windowSeconds : countedSeconds,
            latency: histogram,
            brokerCPUSeconds: cpuAtWindowStart?.broker.flatMap { begin in brokerCPUEnd.map { $0 - begin } },
            generatorCPUSeconds: cpuAtWindowStart.map { generatorCPUEnd - $0.generator } ?? 0,
            maximumBacklog: Int(clamping: maximumBacklog)
        )
    }

    /// Open loop without a set end: every pair sends one message per `interval`, the pairs'
    /// sends spread evenly over it, until `shouldStop` returns true; `report` runs about every
    /// `reportEvery`. Set `ledger` first to account each message by the second it was sent in.
    func runPaced(
        interval: Duration, reportEvery: Duration, shouldStop: () -> Bool, report: (PairTraffic) throws -> Void
    ) throws {
        let start = MonotonicClock.nanoseconds()
        let intervalNanoseconds = Double(max(1, MonotonicClock.nanoseconds(of: interval)))
        let reportNanoseconds = max(1, MonotonicClock.nanoseconds(of: reportEvery))
        // Arrivals go to the ledger only, not to a phase window.
        windowStart = .max
        windowEnd = .max
        var scheduled: UInt64 = 0
        var nextReport = start + reportNanoseconds
        let count = UInt64(pairs.count)
        while !shouldStop() {
            try swarm.poll(timeout: .milliseconds(5), handler: self)
            let now = MonotonicClock.nanoseconds()
            let due = UInt64(Double(now - start) / intervalNanoseconds * Double(count))
            if due > scheduled {
                // Bounded bursts keep the loop reading while it catches up.
                let burst = min(due - scheduled, max(64, count))
                for _ in 0..<burst {
                    send(Int(scheduled % count))
                    scheduled += 1
                }
            }
            if now >= nextReport {
                nextReport += reportNanoseconds
                try report(self)
            }
        }
    }

    /// Disconnects every subscriber normally: with persistent sessions the broker keeps their
    /// subscriptions and queues what is published for them while they are away.
    func disconnectSubscribers(timeout: Duration) throws {
        try swarm.disconnect(subscribers, timeout: timeout, handler: self)
    }

    /// Publishes `messagesPerPair` messages on every pair and returns once the broker
    /// acknowledged all of them (refusals are counted in the totals).
    func publishBacklog(messagesPerPair: Int, timeout: Duration) throws {
        let before = acknowledgedPublishes
        var queued = 0
        for _ in 0..<max(0, messagesPerPair) {
            for pair in pairs.indices where send(pair) {
                queued += 1
            }
            try swarm.poll(timeout: .zero, handler: self)
        }
        try swarm.run(timeout: timeout, handler: self, waitingFor: "PUBACKs of \(queued) backlog messages") {
            acknowledgedPublishes - before >= queued
        }
    }

    /// When recovery reached each milestone, in `MonotonicClock` nanoseconds; nil when it did
    /// not within the timeout.
    struct RecoveryTimes: Sendable {
        /// The first connection lost: the broker went away.
        var outageAt: UInt64?
        /// The last connection back.
        var allReconnectedAt: UInt64?
        /// The last message every pair expected arrived.
        var allDeliveredAt: UInt64?
        var reconnected: Int
        var attempts: Int
    }

    /// Waits for the broker to go away, then reconnects every connection (also those offline
    /// when the outage began) with `policy` backoff until all are back and every pair received
    /// its `expectedPerPair` distinct messages, or `timeout` passes.
    ///
    /// At most `maximumConnecting` CONNECTs are outstanding at once, which keeps the broker's
    /// listen backlog (100) from overflowing into one-second SYN retries.
    func recover(policy: MQTTReconnectPolicy, maximumConnecting: Int, expectedPerPair: Int, timeout: Duration) throws -> RecoveryTimes {
        recovery = RecoveryState(connections: swarm.count, policy: policy)
        defer { recovery = nil }
        let deadline = MonotonicClock.nanoseconds() + MonotonicClock.nanoseconds(of: timeout)
        var times = RecoveryTimes(reconnected: 0, attempts: 0)
        while let state = recovery {
            let now = MonotonicClock.nanoseconds()
            times.outageAt = state.outageAt
            if state.outageAt != nil {
                if times.allReconnectedAt == nil, state.reconnectedCount == state.connectionCount {
                    times.allReconnectedAt = state.lastReconnectAt
                }
                if times.allDeliveredAt == nil, pairs.indices.allSatisfy({ trackers[$0].received >= expectedPerPair }) {
                    times.allDeliveredAt = lastProgress.max()
                }
                if times.allReconnectedAt != nil, times.allDeliveredAt != nil {
                    break
                }
            }
            if now >= deadline {
                break
            }
            let limit = maximumConnecting - swarm.connectingCount
            for index in recovery?.due(now: now, limit: limit) ?? [] {
                do {
                    try swarm.startConnecting(MQTTSwarmConnectionID(index: index))
                } catch {
                    connectionLost(index)
                }
            }
            try swarm.poll(timeout: .milliseconds(10), handler: self)
        }
        times.reconnected = recovery?.reconnectedCount ?? 0
        times.attempts = recovery?.attemptCount ?? 0
        return times
    }

    /// Schedules `index`'s next attempt; the first loss of an outage also schedules every
    /// connection that was offline already (a half away when the broker restarted comes back too).
    private func connectionLost(_ index: Int) {
        let now = MonotonicClock.nanoseconds()
        let first = recovery?.outageAt == nil
        recovery?.lost(index, now: now)
        guard first, let state = recovery else { return }
        for other in 0..<state.connectionCount where other != index && !state.isScheduled(other) {
            if !swarm.isConnected(MQTTSwarmConnectionID(index: other)) {
                recovery?.lost(other, now: now)
            }
        }
    }

    /// Sent, received, lost and duplicated messages over every phase so far.
    func currentTotals() -> Totals {
        var result = totals
        result.sent = 0
        result.received = 0
        result.lost = 0
        result.duplicates = 0
        result.outOfOrder = 0
        for pair in pairs.indices {
            result.sent += Int(sent[pair])
            result.received += trackers[pair].received
            result.lost += trackers[pair].lost(sent: sent[pair])
            result.duplicates += trackers[pair].duplicates
            result.outOfOrder += trackers[pair].outOfOrder
        }
        return result
    }

    // MARK: - MQTTSwarmHandler

    func swarm(
        _ swarm: MQTTSwarm,
        received payload: UnsafeRawBufferPointer,
        topic: UnsafeRawBufferPointer,
        on connection: MQTTSwarmConnectionID
    ) {
        let pair = pairOfConnection[connection.index]
        guard pair >= 0, let header = SequencedPayload(payload), header.stream == UInt32(pair) else {
            totals.foreignMessages += 1
            return
        }
        guard trackers[pair].record(header.sequence) == .new else {
            ledger?.duplicated(sentAt: header.sentAt)
            return
        }
        let now = MonotonicClock.nanoseconds()
        ledger?.arrived(sentAt: header.sentAt, now: now)
        lastProgress[pair] = now
        if now >= windowStart, now < windowEnd {
            deliveredInWindow += 1
            histogram.record(nanoseconds: now >= header.sentAt ? now - header.sentAt : 0)
        }
        if sending, window > 0 {
            refill(pair)
        }
    }

    func swarm(_ swarm: MQTTSwarm, publishCompleted messageID: Int32, reasonCode: UInt8, on connection: MQTTSwarmConnectionID) {
        acknowledgedPublishes += 1
        if reasonCode >= 0x80 {
            totals.rejectedPublishes += 1
            if totals.firstRejection == nil {
                totals.firstRejection = reasonCode
            }
        }
    }

    func swarm(_ swarm: MQTTSwarm, disconnected connection: MQTTSwarmConnectionID, error: MQTTSwarmError?) {
        guard error != nil else { return }
        guard recovery != nil else {
            totals.lostConnections += 1
            return
        }
        connectionLost(connection.index)
    }

    func swarm(_ swarm: MQTTSwarm, connected connection: MQTTSwarmConnectionID) {
        recovery?.connected(connection.index, now: MonotonicClock.nanoseconds())
    }

    // MARK: - Sending

    private func refill(_ pair: Int) {
        let limit = limits.isEmpty ? UInt64.max : limits[pair]
        while sent[pair] < limit, sent[pair] - settled(pair) < window {
            guard send(pair) else { return }
        }
    }

    @discardableResult
    private func send(_ pair: Int) -> Bool {
        let sentAt = MonotonicClock.nanoseconds()
        SequencedPayload(stream: UInt32(pair), sequence: sent[pair], sentAt: sentAt).write(to: payload)
        do {
            try swarm.publish(publishers[pair], topic: pairs[pair].topic, payload: UnsafeRawBufferPointer(payload), qos: .atLeastOnce)
            sent[pair] += 1
            ledger?.sent(at: sentAt)
            return true
        } catch {
            totals.publishFailures += 1
            if totals.firstPublishFailure == nil {
                totals.firstPublishFailure = error.description
            }
            return false
        }
    }

    /// Polls until nothing is in flight; what has not arrived by `timeout` is reported as
    /// lost, not as a failed run.
    private func drain(timeout: Duration) throws(MQTTSwarmError) {
        do {
            try swarm.run(timeout: timeout, handler: self, waitingFor: "messages in flight to arrive") {
                allArrived()
            }
        } catch {
            guard error.code == .timeout else { throw error }
        }
    }

    /// Sequence numbers below this are no longer in flight: arrived, overtaken by a later
    /// arrival, or given up on.
    private func settled(_ pair: Int) -> UInt64 {
        max(trackers[pair].nextExpected, givenUpBelow[pair])
    }

    private func releaseStalledPairs(now: UInt64) {
        for pair in pairs.indices where lastProgress[pair] + stallTimeout <= now && settled(pair) < sent[pair] {
            givenUpBelow[pair] = sent[pair]
            lastProgress[pair] = now
            refill(pair)
        }
    }

    private func countedPhaseDone() -> Bool {
        for pair in pairs.indices where sent[pair] < limits[pair] || settled(pair) < sent[pair] {
            return false
        }
        return true
    }

    private func allArrived() -> Bool {
        for pair in pairs.indices where settled(pair) < sent[pair] {
            return false
        }
        return true
    }
}
