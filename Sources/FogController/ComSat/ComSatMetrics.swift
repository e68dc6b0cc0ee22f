internal import FogCore
internal import Metrics

/// The metrics of ComSat sessions and grant synchronisation. Names are snake_case with
/// units; dimensions are bounded (command code, result).
struct ComSatMetrics: Sendable {
    let commandDuration = Metrics.Timer(label: "fogfabric_controller_comsat_command_duration_seconds")
    let responsesRejected = Counter(label: "fogfabric_controller_comsat_responses_rejected_total")
    let reconnects = Counter(label: "fogfabric_controller_comsat_reconnects_total")
    let sweeps = Counter(label: "fogfabric_controller_comsat_sessions_swept_total")

    func command(_ code: ComSatCommand.Code, result: String) {
        Counter(
            label: "fogfabric_controller_comsat_commands_total",
            dimensions: [("command", code.description), ("result", result)]
        ).increment()
    }

    static func sync(result: String) {
        Counter(label: "fogfabric_controller_grant_syncs_total", dimensions: [("result", result)]).increment()
    }

    static func grantItems(_ count: Int, result: String) {
        Counter(label: "fogfabric_controller_grant_items_total", dimensions: [("result", result)]).increment(by: count)
    }
}
