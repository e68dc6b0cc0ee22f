public import FogCore

/// Where the runtime sends what the controller must hear about: link secret reports and
/// "status changed" nudges. `AgentSession` is the product implementation.
public protocol AgentRuntimeObserver: Sendable {
    /// A link half's MQTT secret hash, to be reported until `forgetReport`.
    func report(_ report: LinkSecretReport) async
    /// The half is up (the controller installed its grant) or wiped: stop re-sending its report.
    func forgetReport(linkID: OpaqueID, side: Grant.LinkSide) async
    /// A microservice or link half changed state; send a status message soon.
    func statusChanged() async
}
