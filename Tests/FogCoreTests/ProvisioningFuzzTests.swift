import FogCore
import Foundation
import Testing
import FogTestSupport

/// Mutated provisioning keys, requests and responses: nothing crashes, every rejection is the
/// decoder's typed error, whatever decodes re-encodes to the same bytes (one encoding per
/// value), and no mutated envelope is ever accepted.
@Suite struct ProvisioningFuzzTests {
    static let iterations = 5_000
    static var seed: UInt64 {
        ProcessInfo.processInfo.environment["FOGCORE_FUZZ_SEED"].flatMap { UInt64($0) } ?? 0x00F0_6FAB_0002
    }

    let fixture = ProvisioningFixture()
    var now: Timestamp { ProvisioningFixture.now }

    @Test func mutatedTokensAreRefusedWithTypedErrors() {
        var mutator = ByteMutator(seed: Self.seed)
        let samples = [
            Array(fixture.key.token.utf8),
            Array(ProvisioningKey(expiry: now, controllerKey: SigningKey().publicKey).token.utf8),
        ]
        var refused = 0
        for _ in 0..<Self.iterations {
            let input = mutator.mutate(samples)
            guard !samples.contains(input) else { continue }
            let text = String(decoding: input, as: UTF8.self)
            do throws(ProvisioningKeyError) {
                let key = try ProvisioningKey(token: text)
                // Only surrounding whitespace may be added to a valid token.
                #expect(samples.contains(Array(key.token.utf8)), "seed \(Self.seed): mutated token accepted")
            } catch {
                refused += 1
            }
        }
        #expect(refused > Self.iterations * 9 / 10)
    }

    @Test func mutatedBodiesDecodeCanonicallyOrFailTyped() throws {
        var mutator = ByteMutator(seed: Self.seed &+ 1)
        let requests = [
            try ProvisioningRequest(
                signingKey: fixture.agentSigningKey.publicKey, agreementKey: fixture.agentAgreementKey.publicKey,
                secretHash: fixture.agentSecret.hash, name: "n", labels: ["a": "1", "b": "22"]
            ).encoded()
        ]
        let responses = try [
            ProvisioningResponse.Outcome.accepted(fixture.assignment),
            .refused(.init(reason: .alreadyUsed, detail: "used at 12:00")),
        ].map { outcome in
            try ProvisioningResponse(
                requestNonce: EnvelopeNonce(), controllerSigningKey: fixture.controllerSigningKey.publicKey,
                outcome: outcome
            ).encoded()
        }
        var decoded = 0
        for iteration in 0..<Self.iterations {
            let request = mutator.mutate(requests)
            do throws(CodecError) {
                let value = try ProvisioningRequest(decoding: request)
                #expect(try value.encoded() == request, "seed \(Self.seed) iteration \(iteration)")
                decoded += 1
            } catch {}
            let response = mutator.mutate(responses)
            do throws(CodecError) {
                let value = try ProvisioningResponse(decoding: response)
                #expect(try value.encoded() == response, "seed \(Self.seed) iteration \(iteration)")
                decoded += 1
            } catch {}
        }
        print("ProvisioningFuzzTests: \(decoded) of \(2 * Self.iterations) mutated bodies decoded, each canonically")
    }

    @Test func mutatedEnvelopesAreNeverAccepted() throws {
        var mutator = ByteMutator(seed: Self.seed &+ 2)
        let requester = try fixture.requester()
        let received = try fixture.responder.openRequest(requester.requestEnvelope, now: now)
        let answers = [
            try fixture.responder.accept(received, assignment: fixture.assignment, now: now),
            try fixture.responder.refuse(
                keyID: received.keyID, requestNonce: received.nonce, refusal: .init(reason: .expired), now: now),
        ]
        var codes: [ProvisioningError.Code: Int] = [:]
        for _ in 0..<Self.iterations {
            let request = mutator.mutate([requester.requestEnvelope])
            if request != requester.requestEnvelope {
                do throws(ProvisioningError) {
                    _ = try fixture.responder.openRequest(request, now: now)
                    Issue.record("seed \(Self.seed): a mutated request was accepted")
                } catch {
                    codes[error.code, default: 0] += 1
                }
            }
            let answer = mutator.mutate(answers)
            if !answers.contains(answer) {
                do throws(ProvisioningError) {
                    _ = try requester.open(answer, now: now)
                    Issue.record("seed \(Self.seed): a mutated response was accepted")
                } catch {
                    codes[error.code, default: 0] += 1
                }
            }
        }
        print(
            "ProvisioningFuzzTests rejections: \(codes.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))"
        )
        #expect(codes[.signatureInvalid, default: 0] > 100)
        #expect(codes[.malformed, default: 0] > 100)
    }
}
