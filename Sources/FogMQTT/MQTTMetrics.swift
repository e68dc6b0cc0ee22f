import Metrics

/// Counters every `MQTTClient` reports. Names are snake_case with a unit suffix because
/// swift-prometheus exports them as given; no per-client dimension, to keep cardinality
/// bounded when a controller talks to many brokers.
struct MQTTMetrics: Sendable {
    let messagesReceived = Counter(label: "fogfabric_mqtt_messages_received_total")
    /// Incoming messages thrown away because the reader of `messages` fell behind.
    let messagesDropped = Counter(label: "fogfabric_mqtt_messages_dropped_total")
    /// Publishes the broker acknowledged (or, for QoS 0, that were written).
    let messagesPublished = Counter(label: "fogfabric_mqtt_messages_published_total")
    let publishFailures = Counter(label: "fogfabric_mqtt_publish_failures_total")
    /// Established connections that ended without `disconnect()`.
    let connectionLosses = Counter(label: "fogfabric_mqtt_connection_losses_total")
    let reconnectAttempts = Counter(label: "fogfabric_mqtt_reconnect_attempts_total")
}
