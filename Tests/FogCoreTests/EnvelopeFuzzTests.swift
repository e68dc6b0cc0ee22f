import FogCore
import Foundation
import Testing
import FogTestSupport

/// Feeds random and mutated inputs to the decoder and verifier: nothing may crash, every
/// rejection is an `EnvelopeError`, and no mutated envelope may ever open.
///
/// Deterministic from the printed seed; set FOGCORE_FUZZ_SEED to replay one run (the sample
/// envelopes themselves carry fresh random nonces and keys, so a replay reproduces the
/// mutation schedule, which is what decides the decoding path).
@Suite struct EnvelopeFuzzTests {
    static let iterations = 20_000

    @Test func randomAndMutatedInputsNeverOpen() throws {
        let seed =
            ProcessInfo.processInfo.environment["FOGCORE_FUZZ_SEED"].flatMap { UInt64($0) }
            ?? 0x00F0_6FAB_0001
        print("EnvelopeFuzzTests seed: \(seed) (set FOGCORE_FUZZ_SEED to replay)")
        var generator = SeededGenerator(seed: seed)

        let fixture = EnvelopeFixture()
        let now = EnvelopeFixture.start
        let samples = [
            fixture.plain([]), fixture.plain(Array("short".utf8)),
            fixture.plain(random(count: 300, using: &generator)),
            fixture.sealed([]), fixture.sealed(Array("sealed grant".utf8)),
            fixture.sealed(random(count: 300, using: &generator)),
        ]
        let originals = Set(samples)
        var verifier = fixture.verifier(maximumSize: 4_096)
        var codes: [String: Int] = [:]
        var unchanged = 0

        for iteration in 0..<Self.iterations {
            let input = mutate(samples, using: &generator)
            if originals.contains(input) {
                unchanged += 1
                continue
            }
            do throws(EnvelopeError) {
                _ = try Envelope(decoding: input, maximumSize: 4_096)
            } catch {
                codes["decode." + error.code.description, default: 0] += 1
            }
            do throws(EnvelopeError) {
                let opened = try verifier.open(input, now: now)
                Issue.record("iteration \(iteration) (seed \(seed)): a mutated input opened: \(opened)")
            } catch {
                codes[error.code.description, default: 0] += 1
            }
        }
        print("EnvelopeFuzzTests: \(Self.iterations) inputs, \(unchanged) identical to a sample (skipped); "
            + "rejections: \(codes.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        #expect(unchanged < Self.iterations / 10)
        // The schedule must reach deep into verification, not just bounce off the magic byte.
        #expect(codes["signatureInvalid", default: 0] > 1_000)
        #expect(codes["truncated", default: 0] > 100)
        #expect(codes["badLength", default: 0] > 100)
        // No rejected input consumed a nonce: every sample still opens exactly once.
        for sample in samples {
            _ = try verifier.open(sample, now: now)
        }
    }

    private func mutate(_ samples: [[UInt8]], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = samples[Int.random(in: 0..<samples.count, using: &generator)]
        switch Int.random(in: 0..<9, using: &generator) {
        case 0:  // random bytes
            return random(count: Int.random(in: 0...400, using: &generator), using: &generator)
        case 1:  // random bytes behind a valid magic and version, to get past the first checks
            let flags = UInt8.random(in: 0...1, using: &generator)
            return [Envelope.magic, Envelope.version, flags]
                + random(count: Int.random(in: 0...400, using: &generator), using: &generator)
        case 2:  // truncation
            return Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
        case 3:  // splice two envelopes
            let other = samples[Int.random(in: 0..<samples.count, using: &generator)]
            let cut = Int.random(in: 0...bytes.count, using: &generator)
            let otherCut = Int.random(in: 0...other.count, using: &generator)
            return Array(bytes[..<cut] + other[otherCut...])
        case 4:  // edit the body length field
            let sealed = bytes[2] & Envelope.sealedFlag != 0
            let offset = EnvelopeFixture.lengthOffset(sealed: sealed)
            let current = bytes[offset..<offset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let edits: [UInt32] = [
                0, 1, 15, 16, .max, .max - 1, current &+ 1, current &- 1,
                current &+ UInt32.random(in: 2...64, using: &generator), UInt32.random(in: 0 ... .max, using: &generator),
            ]
            return EnvelopeFixture.settingBodyLength(
                bytes, to: edits[Int.random(in: 0..<edits.count, using: &generator)], sealed: sealed)
        case 5:  // flip a few random bits
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= 1 << UInt8.random(in: 0..<8, using: &generator)
            }
            return bytes
        case 6:  // overwrite a run of bytes
            let start = Int.random(in: 0..<bytes.count, using: &generator)
            let end = min(bytes.count, start + Int.random(in: 1...32, using: &generator))
            bytes.replaceSubrange(start..<end, with: random(count: end - start, using: &generator))
            return bytes
        case 7:  // insert or delete bytes
            let position = Int.random(in: 0..<bytes.count, using: &generator)
            if Bool.random(using: &generator) {
                bytes.insert(contentsOf: random(count: Int.random(in: 1...16, using: &generator), using: &generator), at: position)
            } else {
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...16, using: &generator)))
            }
            return bytes
        default:  // append junk
            return bytes + random(count: Int.random(in: 1...64, using: &generator), using: &generator)
        }
    }

    private func random(count: Int, using generator: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }
}
