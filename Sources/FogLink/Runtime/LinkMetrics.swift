import Metrics

/// The half's counters (swift-metrics; exported by whatever backend the process bootstraps).
struct LinkMetrics: Sendable {
    let messagesQueued = Counter(label: "fogfabric_link_messages_queued_total")
    let messagesDelivered = Counter(label: "fogfabric_link_messages_delivered_total")
    let duplicatesDropped = Counter(label: "fogfabric_link_duplicates_dropped_total")
    let messagesRefused = Counter(label: "fogfabric_link_messages_refused_total")
    let messagesSkipped = Counter(label: "fogfabric_link_messages_skipped_total")
    let framesSent = Counter(label: "fogfabric_link_frames_sent_total")
    let frameBytesSent = Counter(label: "fogfabric_link_frame_bytes_sent_total")
    let framesReceived = Counter(label: "fogfabric_link_frames_received_total")
    let retransmissions = Counter(label: "fogfabric_link_retransmissions_total")
    let handshakes = Counter(label: "fogfabric_link_handshakes_total")
    /// Deliveries to the local bus not acknowledged within the bus client's operation timeout.
    let busDeliveryTimeouts = Counter(label: "fogfabric_link_bus_delivery_timeouts_total")
    /// Handshakes abandoned after `handshakeStall` and started over.
    let handshakeRestarts = Counter(label: "fogfabric_link_handshake_restarts_total")

    func framesRejected(_ reason: String) {
        Counter(label: "fogfabric_link_frames_rejected_total", dimensions: [("reason", reason)]).increment()
    }
}
