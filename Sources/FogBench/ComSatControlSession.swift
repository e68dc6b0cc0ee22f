import FogCore
import FogMQTT

/// Signed commands to one ComSat over the controller's connection, each answered by a
/// response the bench verifies (ComSat's signature, addressed to this controller, fresh,
/// not replayed) before trusting its results.
///
/// - Important: Confined to the thread that created it, like its channel.
final class ComSatControlSession {
    private let controller: ComSatController
    private let channel: ControlChannel
    private let sealer: EnvelopeSealer
    private var verifier: EnvelopeVerifier
    private var nextCorrelation: UInt64 = 1

    init(controller: ComSatController, port: UInt16) throws {
        self.controller = controller
        channel = try ControlChannel(
            options: controller.controllerOptions(port: port), commandTopic: ComSatTopic.control, responseSubscription: nil)
        sealer = EnvelopeSealer(senderID: controller.controllerID, signingKey: controller.signingKey)
        verifier = EnvelopeVerifier(
            trustedSenders: [controller.comsatID: controller.comsatPublicKey], localID: controller.controllerID,
            agreementKey: nil, maximumSize: 64 * 1024 * 1024, requiresRecipient: true,
            acceptedKinds: [.comsatResponse])
    }

    func connect(timeout: Duration) throws {
        try channel.connect(timeout: timeout)
    }

    func disconnect(timeout: Duration) throws {
        try channel.disconnect(timeout: timeout)
    }

    /// Sends `command` and returns ComSat's verified answer.
    /// - Throws: `BenchError.controlRejected` for an answer that is not genuine, not ours,
    ///   or not `ok`; `.controlTimeout` for no answer.
    func send(_ command: ComSatCommand, timeout: Duration) throws -> ComSatResponse {
        let correlationID = nextCorrelation
        nextCorrelation += 1
        let body = try ComSatRequest(correlationID: correlationID, command: command).encoded()
        let envelope = sealer.seal(kind: .comsatCommand, body: body, recipientID: controller.comsatID)
        let what = "\(command.code) (correlation \(correlationID))"
        let answer = try channel.request(envelope, timeout: timeout, describing: what)
        let response: ComSatResponse
        do {
            let opened = try verifier.open(answer)
            response = try ComSatResponse.decode(opened.body)
        } catch {
            throw BenchError(.controlRejected, "answer to \(what) is not a valid ComSat response: \(error)")
        }
        guard response.correlationID == correlationID else {
            throw BenchError(.controlRejected, "answer to \(what) carries correlation \(response.correlationID)")
        }
        guard response.status == .ok else {
            throw BenchError(.controlRejected, "ComSat answered \(what) with \(response.status): \(response.reason)")
        }
        return response
    }

    /// Installs `grants` with one `addGrants` command.
    /// - Returns: how many items ComSat refused and its reason for the first.
    func addGrants(_ grants: [Grant], timeout: Duration) throws -> (refused: Int, first: String?) {
        let response = try send(.addGrants(grants), timeout: timeout)
        let results = response.itemResults
        guard results.count == grants.count else {
            throw BenchError(.controlRejected, "ComSat answered \(results.count) items of an addGrants with \(grants.count)")
        }
        let refused = results.filter { !$0.isSuccess }.count
        return (refused, refused > 0 ? response.reason : nil)
    }

    /// How many grants ComSat holds, from its digest.
    func grantCount(timeout: Duration) throws -> Int {
        let response = try send(.digest, timeout: timeout)
        guard case .digest(let digest) = response.body else {
            throw BenchError(.controlRejected, "ComSat answered digest with another body")
        }
        return Int(clamping: digest.count)
    }
}
