/// The controller's end of the ComSat control protocol, without I/O: seals requests for one
/// ComSat and verifies and decodes that ComSat's responses.
///
/// Requests are signed with the controller's key and addressed to the ComSat's id (so a
/// command for one ComSat is refused by every other). Responses must be signed by the
/// ComSat's pinned key, addressed to the controller, of kind `comsatResponse`, fresh and
/// not replayed. A value type holding a replay window: use it from one task or actor.
public struct ComSatControlCodec: Sendable {
    public let controllerID: OpaqueID
    public let comsatID: OpaqueID
    private let sealer: EnvelopeSealer
    private var verifier: EnvelopeVerifier

    /// - Parameters:
    ///   - comsatKey: the ComSat's identity public key (its `identity_key_file.pub`).
    ///   - maximumResponseSize: responses above this size are refused unread.
    public init(
        controllerID: OpaqueID, signingKey: SigningKey, comsatID: OpaqueID, comsatKey: SigningPublicKey,
        clockSkew: Duration = .seconds(120), maximumResponseSize: Int = 4 * 1024 * 1024
    ) {
        self.controllerID = controllerID
        self.comsatID = comsatID
        sealer = EnvelopeSealer(senderID: controllerID, signingKey: signingKey)
        verifier = EnvelopeVerifier(
            trustedSenders: [comsatID: comsatKey], localID: controllerID, agreementKey: nil,
            maximumSize: maximumResponseSize, clockSkew: clockSkew, replayCapacity: 100_000,
            requiresRecipient: true, acceptedKinds: [.comsatResponse])
    }

    /// The envelope to publish on `ComSatTopic.control`.
    public func seal(_ request: ComSatRequest, now: Timestamp = .now()) throws(CodecError) -> [UInt8] {
        sealer.seal(kind: .comsatCommand, body: try request.encoded(), recipientID: comsatID, now: now)
    }

    /// Verifies a message received on `ComSatTopic.response` and decodes its body.
    /// - Throws: the envelope's verification error, or `.malformed` when the authentic body
    ///   is not a valid `ComSatResponse`.
    public mutating func open(response bytes: [UInt8], now: Timestamp = .now()) throws(EnvelopeError) -> ComSatResponse {
        let opened = try verifier.open(bytes, now: now)
        do {
            return try ComSatResponse.decode(opened.body)
        } catch {
            throw EnvelopeError(
                code: .malformed, message: "response from ComSat \(comsatID) has an invalid body: \(error)",
                sender: opened.sender)
        }
    }
}
