import FogCore
import FogMQTT

/// Signed commands to one ComSat over the controller's connection, each answered by a
/// response the bench verifies (ComSat's signature, addressed to this controller, fresh,
/// not replayed) before trusting its results.
///
/// - Important: Confined to the thread that created it, like its channel.
final class ComSatControlSession {
    private let controller: ComSatController
    private let port: UInt16
    private let channel: ControlChannel
    private let sealer: EnvelopeSealer
    private var verifier: EnvelopeVerifier
    private var nextCorrelation: UInt64 = 1

    init(controller: ComSatController, port: UInt16) throws {
        self.controller = controller
        self.port = port
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

    /// Removes the grants of `usernames` with one `removeGrants` command, as the
    /// controller's `GrantSync.revoke` does.
    /// - Returns: how many items ComSat did not report removed and its reason for the first.
    func removeGrants(_ usernames: [String], timeout: Duration) throws -> (refused: Int, first: String?) {
        let response = try send(.removeGrants(usernames), timeout: timeout)
        let results = response.itemResults
        guard results.count == usernames.count else {
            throw BenchError(.controlRejected, "ComSat answered \(results.count) items of a removeGrants with \(usernames.count)")
        }
        let refused = results.filter { $0 != .removed }.count
        return (refused, refused > 0 ? "\(results.first { $0 != .removed }.map { "\($0)" } ?? ""): \(response.reason)" : nil)
    }

    /// Sweeps the sessions of removed grants' client ids the way the controller does after
    /// every removal (`ComSatSession.sweep`): a clean-start connection as the controller
    /// with each client id, then a disconnect. Connects 64 at a time (the swarm's bound) on
    /// a swarm of its own, so a batch of sweeps costs what the broker needs, not a thread each.
    /// - Throws: `MQTTSwarmError` when the ComSat refuses a sweep (nothing pending for it).
    func sweep(clientIDs: [String], timeout: Duration) throws {
        guard !clientIDs.isEmpty else { return }
        let swarm = try MQTTSwarm(maximumEventsPerPoll: 256)
        let handler = SweepHandler()
        var ids: [MQTTSwarmConnectionID] = []
        for clientID in clientIDs {
            var options = controller.controllerOptions(port: port)
            options.clientID = clientID
            ids.append(try swarm.add(options))
        }
        try swarm.connect(ids, timeout: timeout, handler: handler)
        try swarm.disconnectAll(timeout: timeout, handler: handler)
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

/// A sweep connection receives nothing and needs no callback.
private final class SweepHandler: MQTTSwarmHandler {}
