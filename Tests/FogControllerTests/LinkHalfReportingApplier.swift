import FogAgent
import FogCore
import FogIntegrationSupport
import Synchronization

/// An applier that acts like a link half's first start: on `assignLinkHalf` it chooses a
/// fresh MQTT secret for the half and reports its hash through the agent's session, as the
/// agent runtime does when `fog-link` prints `secret-hash`. Records every command too.
final class LinkHalfReportingApplier: AgentCommandApplier {
    struct Half: Hashable {
        var linkID: OpaqueID
        var side: Grant.LinkSide
    }

    private struct State {
        var session: AgentSession?
        var secrets: [Half: Secret] = [:]
        var assignments: [Half: LinkHalfAssignment] = [:]
    }

    let recorder = RecordingApplier()
    private let state = Mutex(State())

    /// The session to report through; set right after creating it.
    func attach(_ session: AgentSession) {
        state.withLock { $0.session = session }
    }

    /// The secret chosen for a half, once assigned.
    func secret(_ linkID: OpaqueID, _ side: Grant.LinkSide) -> Secret? {
        state.withLock { $0.secrets[Half(linkID: linkID, side: side)] }
    }

    func assignment(_ linkID: OpaqueID, _ side: Grant.LinkSide) -> LinkHalfAssignment? {
        state.withLock { $0.assignments[Half(linkID: linkID, side: side)] }
    }

    func apply(_ command: AgentCommand) async -> AgentAcknowledgement.Result {
        let result = await recorder.apply(command)
        guard case .assignLinkHalf(let assignment) = command else { return result }
        let half = Half(linkID: assignment.linkID, side: assignment.side)
        let (session, secret) = state.withLock { state -> (AgentSession?, Secret) in
            let secret = state.secrets[half] ?? Secret()
            state.secrets[half] = secret
            state.assignments[half] = assignment
            return (state.session, secret)
        }
        await session?.report(LinkSecretReport(linkID: half.linkID, side: half.side, secretHash: secret.hash))
        return result
    }

    func currentStatus() async -> (microservices: [AgentStatus.Microservice], linkHalves: [AgentStatus.LinkHalf]) {
        ([], [])
    }
}
