internal import FogCore

/// The outcome of one item of a batched command, with a short reason when it failed.
struct ItemOutcome {
    var result: ComSatItemResult
    var reason: String?

    init(_ result: ComSatItemResult, _ reason: String? = nil) {
        self.result = result
        self.reason = reason
    }
}
