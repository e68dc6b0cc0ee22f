import FogCore
import Testing

/// A controller (sender) and an agent (receiver) with fresh keys, plus helpers to build
/// envelopes and verifiers at controlled times.
struct EnvelopeFixture {
    static let start = Timestamp(millisecondsSinceEpoch: 1_750_000_000_000)
    static let skew = Duration.seconds(30)
    static let command: EnvelopeKind = 1
    static let reply: EnvelopeKind = 2

    let controllerID = OpaqueID()
    let controllerKey = SigningKey()
    let agentID = OpaqueID()
    let agentKey = AgreementKey()

    var sealer: EnvelopeSealer { EnvelopeSealer(senderID: controllerID, signingKey: controllerKey) }

    func verifier(
        agreementKey: AgreementKey?? = nil, localID: OpaqueID?? = nil, replayCapacity: Int = 1_000,
        requiresRecipient: Bool = false, acceptedKinds: Set<EnvelopeKind>? = nil,
        maximumSize: Int = Envelope.defaultMaximumSize
    ) -> EnvelopeVerifier {
        EnvelopeVerifier(
            trustedSenders: [controllerID: controllerKey.publicKey], localID: localID ?? agentID,
            agreementKey: agreementKey ?? agentKey, maximumSize: maximumSize, clockSkew: Self.skew,
            replayCapacity: replayCapacity, requiresRecipient: requiresRecipient,
            acceptedKinds: acceptedKinds)
    }

    func sealed(_ body: [UInt8], kind: EnvelopeKind = command, at time: Timestamp = start) -> [UInt8] {
        sealer.seal(kind: kind, body: body, recipientID: agentID, sealedTo: agentKey.publicKey, now: time)
    }

    func plain(
        _ body: [UInt8], kind: EnvelopeKind = command, recipient: OpaqueID? = nil, at time: Timestamp = start
    ) -> [UInt8] {
        sealer.seal(kind: kind, body: body, recipientID: recipient ?? agentID, now: time)
    }

    /// Replaces the signature with one by `key` over the (possibly edited) preceding bytes.
    static func resign(_ envelope: [UInt8], with key: SigningKey) -> [UInt8] {
        let unsigned = Array(envelope.dropLast(Envelope.signatureSize))
        return unsigned + key.signature(for: Envelope.signatureContext + unsigned)
    }

    /// Offset of the 4-byte body length field.
    static func lengthOffset(sealed: Bool) -> Int {
        (sealed ? Envelope.sealedHeaderSize : Envelope.plainHeaderSize) - 4
    }

    static func settingBodyLength(_ envelope: [UInt8], to length: UInt32, sealed: Bool) -> [UInt8] {
        var edited = envelope
        let offset = lengthOffset(sealed: sealed)
        for index in 0..<4 {
            edited[offset + index] = UInt8(truncatingIfNeeded: length >> (24 - 8 * index))
        }
        return edited
    }
}

/// Runs `body`, expecting it to throw an `EnvelopeError` with `code`; returns the error.
@discardableResult
func expectEnvelopeError(
    _ code: EnvelopeError.Code, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) -> EnvelopeError? {
    do {
        try body()
        Issue.record("expected EnvelopeError.\(code) but it succeeded. \(comment?.rawValue ?? "")", sourceLocation: sourceLocation)
        return nil
    } catch let error as EnvelopeError {
        #expect(error.code == code, comment, sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected EnvelopeError.\(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
