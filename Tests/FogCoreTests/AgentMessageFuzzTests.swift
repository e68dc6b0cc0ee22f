import FogCore
import Foundation
import Testing
import FogTestSupport

/// Mutated command and reply bodies: nothing crashes, every rejection is a `CodecError`, and
/// whatever still decodes re-encodes to exactly the same bytes.
@Suite struct AgentMessageFuzzTests {
    static let iterations = 10_000
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["FOGCORE_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x00F0_6FAB_0003
    }

    @Test func mutatedCommandsDecodeCanonicallyOrFailTyped() throws {
        var mutator = ByteMutator(seed: Self.seed)
        let samples = try AgentMessageSamples.commands.enumerated().map { index, command in
            try SequencedAgentCommand(sequence: UInt64(index + 1), command: command).encoded()
        }
        var decoded = 0
        var codes: [String: Int] = [:]
        for iteration in 0..<Self.iterations {
            let input = mutator.mutate(samples)
            do throws(CodecError) {
                let value = try SequencedAgentCommand(decoding: input)
                #expect(try value.encoded() == input, "seed \(Self.seed) iteration \(iteration)")
                decoded += 1
            } catch {
                codes[error.code.description, default: 0] += 1
            }
        }
        print("AgentMessageFuzzTests commands: \(decoded) decoded; \(codes.sorted { $0.key < $1.key })")
        #expect(codes["truncated", default: 0] > 100)
        #expect(codes["invalidValue", default: 0] > 100)
    }

    @Test func mutatedRepliesDecodeCanonicallyOrFailTyped() throws {
        var mutator = ByteMutator(seed: Self.seed &+ 1)
        let samples = try AgentMessageSamples.replies.map { try $0.encoded() }
        var decoded = 0
        var rejected = 0
        for iteration in 0..<Self.iterations {
            let input = mutator.mutate(samples)
            do throws(CodecError) {
                let value = try AgentReply(decoding: input)
                #expect(try value.encoded() == input, "seed \(Self.seed) iteration \(iteration)")
                decoded += 1
            } catch {
                rejected += 1
            }
        }
        print("AgentMessageFuzzTests replies: \(decoded) decoded, \(rejected) rejected")
        #expect(rejected > Self.iterations / 2)
    }
}
