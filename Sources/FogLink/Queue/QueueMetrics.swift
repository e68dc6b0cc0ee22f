internal import Metrics

/// The queue's metrics; one queue per fog-link process, so no dimensions.
struct QueueMetrics: Sendable {
    let dropped = Counter(label: "fogfabric_link_queue_records_dropped_total")
    let refused = Counter(label: "fogfabric_link_queue_appends_refused_total")
    let syncs = Counter(label: "fogfabric_link_queue_syncs_total")
    let pendingRecords = Gauge(label: "fogfabric_link_queue_pending_records")
    let pendingBytes = Gauge(label: "fogfabric_link_queue_pending_bytes")

    func update(pendingRecords records: UInt64, pendingBytes bytes: UInt64) {
        pendingRecords.record(Double(records))
        pendingBytes.record(Double(bytes))
    }
}
