import FogCore
import FogTestSupport
import Testing

@Suite struct EnvelopeTests {
    let fixture = EnvelopeFixture()
    let now = EnvelopeFixture.start

    @Test func roundTripsAPlainEnvelope() throws {
        let body = Array("install grant 42".utf8)
        let bytes = fixture.plain(body, kind: EnvelopeFixture.reply)
        #expect(bytes.count == Envelope.plainHeaderSize + body.count + Envelope.signatureSize)
        var verifier = fixture.verifier()
        let opened = try verifier.open(bytes, now: now)
        #expect(opened.body == body)
        #expect(opened.sender == fixture.controllerID)
        #expect(opened.recipient == fixture.agentID)
        #expect(opened.kind == EnvelopeFixture.reply)
        #expect(opened.timestamp == now)
        #expect(!opened.isSealed)
        #expect(verifier.replayWindow.count == 1)
    }

    @Test func roundTripsASealedEnvelope() throws {
        let body = Array("psk=0123456789abcdef0123456789abcdef".utf8)
        let bytes = fixture.sealed(body)
        #expect(
            bytes.count
                == Envelope.sealedHeaderSize + body.count + Envelope.tagSize + Envelope.signatureSize)
        #expect(!bytes.containsRun(body[4..<20]), "the body must not appear in clear")
        var verifier = fixture.verifier()
        let opened = try verifier.open(bytes, now: now)
        #expect(opened.body == body)
        #expect(opened.isSealed)
        #expect(opened.sender == fixture.controllerID)
        #expect(!opened.description.contains("psk"))
    }

    @Test func roundTripsEmptyAndUnaddressedBodies() throws {
        var verifier = fixture.verifier()
        let sealedEmpty = fixture.sealed([])
        #expect(try verifier.open(sealedEmpty, now: now).body == [])
        let broadcast = fixture.sealer.seal(kind: 9, body: [1], now: now)
        let opened = try verifier.open(broadcast, now: now)
        #expect(opened.recipient == nil)
        #expect(opened.kind == 9)
    }

    @Test func layoutMatchesTheDocumentedOffsets() throws {
        let body: [UInt8] = [0xAA, 0xBB, 0xCC]
        let time = Timestamp(millisecondsSinceEpoch: 0x0102_0304_0506_0708)
        let plain = fixture.plain(body, kind: 7, at: time)
        #expect(plain[0] == 0xFE)
        #expect(plain[1] == 1)
        #expect(plain[2] == 0)
        #expect(plain[3] == 7)
        #expect(Array(plain[4..<20]) == fixture.controllerID.bytes)
        #expect(Array(plain[20..<36]) == fixture.agentID.bytes)
        #expect(Array(plain[36..<44]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(plain[60..<64]) == [0, 0, 0, 3])
        #expect(Array(plain[64..<67]) == body)
        #expect(plain.count == 67 + 64)
        let signature = Array(plain[67...])
        #expect(
            fixture.controllerKey.publicKey.isValidSignature(
                signature, for: Array("FogFabric envelope v1 signature".utf8) + plain[..<67]))

        let sealed = fixture.sealed(body, at: time)
        #expect(sealed[2] == 1)
        #expect(Array(sealed[92..<96]) == [0, 0, 0, 3 + 16])
        let decoded = try Envelope(decoding: sealed)
        #expect(decoded.isSealed)
        #expect(decoded.ephemeralKey == Array(sealed[60..<92]))
        #expect(decoded.nonce.bytes == Array(sealed[44..<60]))
        #expect(decoded.body.count == 19)
        #expect(decoded.signature == Array(sealed[115...]))
    }

    @Test func rejectsEveryBitFlipOfASealedEnvelope() throws {
        try checkEveryBitFlip(of: fixture.sealed(Array("restart service".utf8)))
    }

    @Test func rejectsEveryBitFlipOfAPlainEnvelope() throws {
        try checkEveryBitFlip(of: fixture.plain(Array("status ok".utf8)))
    }

    private func checkEveryBitFlip(of original: [UInt8]) throws {
        var verifier = fixture.verifier()
        var codes: [String: Int] = [:]
        for index in original.indices {
            for bit in 0..<8 {
                var mutated = original
                mutated[index] ^= 1 << bit
                do throws(EnvelopeError) {
                    _ = try verifier.open(mutated, now: now)
                    Issue.record("flipping bit \(bit) of byte \(index) was accepted")
                } catch {
                    codes[error.code.description, default: 0] += 1
                }
            }
        }
        print("bit flips of a \(original.count)-byte envelope rejected as: \(codes.sorted { $0.key < $1.key })")
        #expect(codes.values.reduce(0, +) == original.count * 8)
        // None of the failures consumed the nonce: the original still opens, once.
        _ = try verifier.open(original, now: now)
        expectEnvelopeError(.replayed) { _ = try verifier.open(original, now: now) }
    }

    @Test func rejectsAReplay() throws {
        var verifier = fixture.verifier()
        let bytes = fixture.sealed([1, 2, 3])
        _ = try verifier.open(bytes, now: now)
        let error = expectEnvelopeError(.replayed) {
            _ = try verifier.open(bytes, now: now.advanced(by: .seconds(1)))
        }
        #expect(error?.sender == fixture.controllerID)
        #expect(error?.message.contains(fixture.controllerID.description) == true)
    }

    @Test func rejectsStaleTimestampsBothWays() throws {
        var verifier = fixture.verifier()
        let skew = EnvelopeFixture.skew
        let old = fixture.plain([1], at: now.advanced(by: .zero - skew - .milliseconds(1)))
        let error = expectEnvelopeError(.stale) { _ = try verifier.open(old, now: now) }
        #expect(error?.message == "envelope from \(fixture.controllerID) is 30001 ms old (allowed skew 30000 ms)")

        let future = fixture.plain([1], at: now.advanced(by: skew + .milliseconds(1)))
        let futureError = expectEnvelopeError(.stale) { _ = try verifier.open(future, now: now) }
        #expect(futureError?.message.contains("30001 ms in the future") == true)

        // Exactly at the edge of the skew is still accepted, in both directions.
        _ = try verifier.open(fixture.plain([2], at: now.advanced(by: .zero - skew)), now: now)
        _ = try verifier.open(fixture.plain([3], at: now.advanced(by: skew)), now: now)
        expectEnvelopeError(.stale) {
            _ = try verifier.open(fixture.plain([4], at: Timestamp(millisecondsSinceEpoch: .max)), now: now)
        }
        expectEnvelopeError(.stale) {
            _ = try verifier.open(fixture.plain([5], at: Timestamp(millisecondsSinceEpoch: 0)), now: now)
        }
    }

    @Test func rejectsTheWrongRecipient() throws {
        let other = OpaqueID()
        var verifier = fixture.verifier()
        let error = expectEnvelopeError(.wrongRecipient) {
            _ = try verifier.open(fixture.plain([1], recipient: other), now: now)
        }
        #expect(error?.message.contains(other.description) == true)
        #expect(error?.message.contains(fixture.agentID.description) == true)

        var anonymous = fixture.verifier(localID: .some(nil))
        expectEnvelopeError(.wrongRecipient) { _ = try anonymous.open(fixture.plain([1]), now: now) }

        var strict = fixture.verifier(requiresRecipient: true)
        let unaddressed = fixture.sealer.seal(kind: 1, body: [1], now: now)
        expectEnvelopeError(.wrongRecipient) { _ = try strict.open(unaddressed, now: now) }
        _ = try strict.open(fixture.plain([2]), now: now)
    }

    @Test func sealedBodyIsUnreadableWithTheWrongKey() throws {
        let bytes = fixture.sealed(Array("secret".utf8))
        var wrongKey = fixture.verifier(agreementKey: AgreementKey())
        let error = expectEnvelopeError(.unsealFailed) { _ = try wrongKey.open(bytes, now: now) }
        #expect(error?.message == "cannot unseal envelope from \(fixture.controllerID)")
        var noKey = fixture.verifier(agreementKey: .some(nil))
        expectEnvelopeError(.unsealFailed) { _ = try noKey.open(bytes, now: now) }

        // The failures did not consume the nonce: with the right key it opens.
        wrongKey.agreementKey = fixture.agentKey
        #expect(try wrongKey.open(bytes, now: now).body == Array("secret".utf8))
    }

    @Test func rejectsAnEnvelopeResignedByAnUntrustedKey() throws {
        var verifier = fixture.verifier()
        let attacker = SigningKey()
        for original in [fixture.sealed([1, 2]), fixture.plain([1, 2])] {
            let resigned = EnvelopeFixture.resign(original, with: attacker)
            expectEnvelopeError(.signatureInvalid) { _ = try verifier.open(resigned, now: now) }

            var claimed = original
            claimed.replaceSubrange(4..<20, with: OpaqueID().bytes)
            let resignedAsAttacker = EnvelopeFixture.resign(claimed, with: attacker)
            expectEnvelopeError(.unknownSender) { _ = try verifier.open(resignedAsAttacker, now: now) }
        }
    }

    /// A trusted but different sender cannot take over another sender's sealed body: the
    /// header (sender, kind, …) is the AEAD's associated data.
    @Test func sealedBodyIsBoundToItsHeader() throws {
        let otherID = OpaqueID()
        let otherKey = SigningKey()
        var verifier = fixture.verifier()
        verifier.trustedSenders[otherID] = otherKey.publicKey

        var stolen = fixture.sealed(Array("grant".utf8))
        stolen.replaceSubrange(4..<20, with: otherID.bytes)
        expectEnvelopeError(.unsealFailed) {
            _ = try verifier.open(EnvelopeFixture.resign(stolen, with: otherKey), now: now)
        }

        var reKinded = fixture.sealed(Array("grant".utf8))
        reKinded.replaceSubrange(4..<20, with: otherID.bytes)
        reKinded[3] = EnvelopeFixture.reply.rawValue
        expectEnvelopeError(.unsealFailed) {
            _ = try verifier.open(EnvelopeFixture.resign(reKinded, with: otherKey), now: now)
        }
    }

    @Test func restrictsKindsWithoutConsumingTheNonce() throws {
        var verifier = fixture.verifier(acceptedKinds: [EnvelopeFixture.command])
        let reply = fixture.plain([1], kind: EnvelopeFixture.reply)
        expectEnvelopeError(.unexpectedKind) { _ = try verifier.open(reply, now: now) }
        verifier.acceptedKinds = [EnvelopeFixture.reply]
        #expect(try verifier.open(reply, now: now).kind == EnvelopeFixture.reply)
    }

    @Test func staleRejectionDoesNotConsumeTheNonce() throws {
        var verifier = fixture.verifier()
        let bytes = fixture.plain([1])
        expectEnvelopeError(.stale) { _ = try verifier.open(bytes, now: now.advanced(by: .seconds(31))) }
        #expect(verifier.replayWindow.count == 0)
        _ = try verifier.open(bytes, now: now)
    }

    @Test func unknownVersionAndMalformedHeadersHaveTheirOwnCodes() throws {
        var verifier = fixture.verifier()
        var bytes = fixture.plain([1])
        bytes[1] = 2
        let version = expectEnvelopeError(.unknownVersion) { _ = try verifier.open(bytes, now: now) }
        #expect(version?.message == "envelope version 2 is not supported (expected 1)")

        var magic = fixture.plain([1])
        magic[0] = 0x7B  // e.g. a JSON document sent to the wrong topic
        expectEnvelopeError(.malformed) { _ = try verifier.open(magic, now: now) }

        var flags = fixture.plain([1])
        flags[2] = 0x02
        expectEnvelopeError(.malformed) { _ = try verifier.open(flags, now: now) }
    }

    @Test func truncationIsReportedAsTruncated() throws {
        var verifier = fixture.verifier()
        for original in [fixture.plain([1, 2, 3]), fixture.sealed([1, 2, 3])] {
            for length in 0..<original.count {
                expectEnvelopeError(.truncated, "cut to \(length) bytes") {
                    _ = try verifier.open(Array(original.prefix(length)), now: now)
                }
            }
        }
    }

    @Test func oversizedInputIsRefusedBeforeDecoding() throws {
        let bytes = fixture.plain(Array(repeating: 7, count: 1_000))
        var verifier = fixture.verifier(maximumSize: 1_000)
        let error = expectEnvelopeError(.oversized) { _ = try verifier.open(bytes, now: now) }
        #expect(error?.message == "envelope of 1128 bytes exceeds the limit of 1000")
        #expect(error?.sender == nil)
        expectEnvelopeError(.oversized) { _ = try verifier.open(Array(repeating: 0, count: 2_000), now: now) }
        var roomy = fixture.verifier(maximumSize: 1_128)
        _ = try roomy.open(bytes, now: now)
    }

    @Test func badBodyLengthsHaveTheirOwnCode() throws {
        var verifier = fixture.verifier(maximumSize: 4_096)
        for sealed in [false, true] {
            let original = sealed ? fixture.sealed([1, 2, 3, 4]) : fixture.plain([1, 2, 3, 4])
            let actual = UInt32(sealed ? 20 : 4)
            // Shorter than the bytes present: the signature would not end the input.
            expectEnvelopeError(.badLength) {
                _ = try verifier.open(EnvelopeFixture.settingBodyLength(original, to: actual - 1, sealed: sealed), now: now)
            }
            // Beyond what the size limit could ever hold.
            let huge = expectEnvelopeError(.badLength) {
                _ = try verifier.open(EnvelopeFixture.settingBodyLength(original, to: .max, sealed: sealed), now: now)
            }
            #expect(huge?.message.contains("4294967295") == true)
            // Bytes after the signature.
            expectEnvelopeError(.badLength) { _ = try verifier.open(original + [0], now: now) }
            // Longer than the input but within the limit: the input was cut short.
            expectEnvelopeError(.truncated) {
                _ = try verifier.open(EnvelopeFixture.settingBodyLength(original, to: actual + 1, sealed: sealed), now: now)
            }
        }
        // A sealed body cannot be shorter than its tag.
        let tagless = EnvelopeFixture.settingBodyLength(fixture.sealed([]), to: 15, sealed: true)
        expectEnvelopeError(.badLength) { _ = try verifier.open(tagless, now: now) }
    }

    @Test func sharedVerifierAcceptsConcurrentCopiesExactlyOnce() async throws {
        let shared = SharedEnvelopeVerifier(fixture.verifier())
        let bytes = fixture.sealed(Array("once".utf8))
        let now = self.now
        let outcomes = await withTaskGroup(of: EnvelopeError.Code?.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    do throws(EnvelopeError) {
                        _ = try shared.open(bytes, now: now)
                        return nil
                    } catch {
                        return error.code
                    }
                }
            }
            var outcomes: [EnvelopeError.Code?] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.filter { $0 == nil }.count == 1)
        #expect(outcomes.filter { $0 == .replayed }.count == 15)

        let stranger = OpaqueID()
        let strangerKey = SigningKey()
        let fromStranger = EnvelopeSealer(senderID: stranger, signingKey: strangerKey).seal(kind: 1, body: [], now: now)
        expectEnvelopeError(.unknownSender) { _ = try shared.open(fromStranger, now: now) }
        shared.withVerifier { $0.trustedSenders[stranger] = strangerKey.publicKey }
        #expect(try shared.open(fromStranger, now: now).sender == stranger)
        #expect(shared.withVerifier { $0.replayWindow.count } == 2)
    }

    @Test func timestampsMoveAndEncodeAsMilliseconds() throws {
        let time = Timestamp(millisecondsSinceEpoch: 5_000)
        #expect(time.advanced(by: .milliseconds(1_500)).millisecondsSinceEpoch == 6_500)
        #expect(time.advanced(by: .seconds(-2)).millisecondsSinceEpoch == 3_000)
        #expect(time.advanced(by: .seconds(-10)).millisecondsSinceEpoch == 0)
        #expect(Timestamp(millisecondsSinceEpoch: .max - 1).advanced(by: .seconds(1)).millisecondsSinceEpoch == .max)
        let current = Timestamp.now().millisecondsSinceEpoch
        #expect(current > 1_700_000_000_000 && current < 4_000_000_000_000, "CLOCK_REALTIME in milliseconds")
    }

}
