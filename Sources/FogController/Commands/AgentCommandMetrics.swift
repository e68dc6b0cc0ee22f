internal import Metrics

/// The command channel's metrics. Names are snake_case with units; the only dimensions
/// are bounded (`reason` of a refused reply, `presence`).
struct AgentCommandMetrics: Sendable {
    let queued = Counter(label: "fogfabric_controller_agent_commands_queued_total")
    let sent = Counter(label: "fogfabric_controller_agent_commands_sent_total")
    let retried = Counter(label: "fogfabric_controller_agent_commands_retried_total")
    let acknowledged = Counter(label: "fogfabric_controller_agent_commands_acknowledged_total")
    let failed = Counter(label: "fogfabric_controller_agent_commands_failed_total")
    let statuses = Counter(label: "fogfabric_controller_agent_statuses_total")
    let repliesDropped = Counter(label: "fogfabric_controller_agent_replies_dropped_total")

    func rejected(reason: String) {
        Counter(label: "fogfabric_controller_agent_replies_rejected_total", dimensions: [("reason", reason)]).increment()
    }

    func presence(_ presence: String) {
        Counter(label: "fogfabric_controller_agent_presence_changes_total", dimensions: [("presence", presence)])
            .increment()
    }
}
