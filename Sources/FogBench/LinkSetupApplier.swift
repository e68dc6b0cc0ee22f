import FogAgent
import FogCore
import Synchronization

/// A simulated agent runtime for `link-setup`: on `assignLinkHalf` it chooses the half's MQTT
/// secret and reports its hash through the agent's session, as `fog-agent run` does when the
/// half's `fog-link` process prints its `secret-hash` line; every other command succeeds.
final class LinkSetupApplier: AgentCommandApplier {
    private let session = Mutex<AgentSession?>(nil)

    func attach(_ agentSession: AgentSession) {
        session.withLock { $0 = agentSession }
    }

    func apply(_ command: AgentCommand) async -> AgentAcknowledgement.Result {
        if case .assignLinkHalf(let assignment) = command, let session = session.withLock({ $0 }) {
            await session.report(
                LinkSecretReport(linkID: assignment.linkID, side: assignment.side, secretHash: Secret().hash))
        }
        return .applied
    }

    func currentStatus() async -> (microservices: [AgentStatus.Microservice], linkHalves: [AgentStatus.LinkHalf]) {
        ([], [])
    }
}
