import FogAgent
import FogCore
import Foundation
import Testing
import FogTestSupport

/// Mutated command envelopes: the receiver never crashes, always throws an
/// `AgentCommandError`, never accepts a mutated envelope, and a rejection never consumes the
/// genuine envelope's nonce or advances the sequence.
@Suite struct AgentCommandReceiverFuzzTests {
    static let iterations = 5_000
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["FOGAGENT_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x00F0_6FAB_0004
    }

    @Test func mutatedCommandsAreRejectedWithTypedErrors() throws {
        let now = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)
        let controllerID = OpaqueID()
        let controllerKey = SigningKey()
        let agentID = OpaqueID()
        let agentKey = AgreementKey()
        let sealer = AgentCommandSealer(
            controllerID: controllerID, signingKey: controllerKey, agentID: agentID,
            agentAgreementKey: agentKey.publicKey)
        let deploy = AgentCommand.deployMicroservice(
            MicroserviceSpec(name: "svc", executablePath: "/bin/svc", arguments: ["-v"], environment: ["K": "V"]))
        let samples = [
            try sealer.seal(sequence: 1, command: .ping, now: now),
            try sealer.seal(sequence: 1, command: deploy, now: now),
        ]
        var receiver = AgentCommandReceiver(
            controllerID: controllerID, controllerSigningKey: controllerKey.publicKey, agentID: agentID,
            agreementKey: agentKey)
        var mutator = ByteMutator(seed: Self.seed)
        var codes: [AgentCommandError.Code: Int] = [:]
        for _ in 0..<Self.iterations {
            let input = mutator.mutate(samples)
            guard !samples.contains(input) else { continue }
            do throws(AgentCommandError) {
                let delivery = try receiver.receive(input, now: now)
                Issue.record("seed \(Self.seed): a mutated command was accepted: \(delivery)")
            } catch {
                codes[error.code, default: 0] += 1
            }
        }
        let summary = codes.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ")
        print("AgentCommandReceiverFuzzTests (seed \(Self.seed)): \(summary)")
        #expect(codes[.signatureInvalid, default: 0] > 500)
        #expect(codes[.malformed, default: 0] > 500)
        #expect(receiver.lastAppliedSequence == 0)
        #expect(
            try receiver.receive(samples[1], now: now) == .apply(SequencedAgentCommand(sequence: 1, command: deploy)))
    }
}
