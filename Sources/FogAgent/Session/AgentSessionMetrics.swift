internal import FogCore
internal import Metrics

/// The agent session's metrics; dimensions are bounded (`result`, `reason` codes).
struct AgentSessionMetrics: Sendable {
    let statuses = Counter(label: "fogfabric_agent_statuses_sent_total")
    let unsentReplies = Counter(label: "fogfabric_agent_replies_unsent_total")

    func command(result: String) {
        Counter(label: "fogfabric_agent_commands_total", dimensions: [("result", result)]).increment()
    }

    func refused(_ code: AgentCommandError.Code) {
        Counter(label: "fogfabric_agent_commands_refused_total", dimensions: [("reason", code.description)]).increment()
    }
}
