import FogAgent
import FogCore
import Synchronization

/// A simulated agent runtime for `link-setup`: on `assignLinkHalf` it chooses the half's MQTT
/// secret, keeps the half's credentials in the bench's book and reports the secret's hash
/// through the agent's session, as `fog-agent run` does when the half's `fog-link` process
/// prints its `secret-hash` line; every other command succeeds.
final class LinkSetupApplier: AgentCommandApplier {
    private let session = Mutex<AgentSession?>(nil)
    private let book: LinkHalfBook

    init(book: LinkHalfBook) {
        self.book = book
    }

    func attach(_ agentSession: AgentSession) {
        session.withLock { $0 = agentSession }
    }

    func apply(_ command: AgentCommand) async -> AgentAcknowledgement.Result {
        if case .assignLinkHalf(let assignment) = command, let session = session.withLock({ $0 }) {
            let secret = Secret()
            book.record(LinkHalfCredentials(
                linkID: assignment.linkID, side: assignment.side, username: assignment.username, clientID: assignment.clientID,
                password: secret.text, secretHash: secret.hash, publishTopic: assignment.publishTopic,
                subscribeTopic: assignment.subscribeTopic))
            await session.report(LinkSecretReport(linkID: assignment.linkID, side: assignment.side, secretHash: secret.hash))
        }
        return .applied
    }

    func currentStatus() async -> (microservices: [AgentStatus.Microservice], linkHalves: [AgentStatus.LinkHalf]) {
        ([], [])
    }
}
