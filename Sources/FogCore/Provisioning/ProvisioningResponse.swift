/// The controller's answer to one provisioning request, on `p/<key id>`.
///
/// It names the request it answers (the request envelope's nonce), so agents racing for one
/// key each recognise their own answer, and it carries the controller's signing public key,
/// which the agent checks against the fingerprint in its provisioning key before verifying
/// the envelope's signature with it: trust comes from the key handed over out of band.
///
/// Body layout (big-endian):
///
///     16   request envelope nonce
///     32   controller Ed25519 public key
///      1   outcome: 1 accepted, 2 refused
///     accepted:
///       16   agent id
///       16   controller id
///       32   controller X25519 public key
///       2+n  home ComSat URL, UTF-8, 1...1024 bytes
///       4+n  CA certificate PEM, 0...65536 bytes (0 = none)
///       2+n  command topic `c/<level>`
///       2+n  reply topic `r/<level>`
///     refused:
///        1   reason (`ProvisioningRefusal.Reason`)
///       2+n  detail, UTF-8, 0...512 bytes
public struct ProvisioningResponse: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        case accepted(ProvisioningAssignment)
        case refused(ProvisioningRefusal)
    }

    public var requestNonce: EnvelopeNonce
    public var controllerSigningKey: SigningPublicKey
    public var outcome: Outcome

    public init(requestNonce: EnvelopeNonce, controllerSigningKey: SigningPublicKey, outcome: Outcome) {
        self.requestNonce = requestNonce
        self.controllerSigningKey = controllerSigningKey
        self.outcome = outcome
    }

    /// The body bytes.
    /// - Throws: `CodecError` when a field exceeds its limit or a topic has the wrong prefix.
    public func encoded() throws(CodecError) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        requestNonce.write(to: &writer)
        writer.writeBytes(controllerSigningKey.rawRepresentation)
        switch outcome {
        case .accepted(let assignment):
            writer.writeUInt8(1)
            assignment.agentID.write(to: &writer)
            assignment.controllerID.write(to: &writer)
            writer.writeBytes(assignment.controllerAgreementKey.rawRepresentation)
            if assignment.comsatURL.isEmpty {
                throw CodecError(code: .invalidValue, offset: writer.count, message: "ComSat URL is empty")
            }
            try WireText.write(
                assignment.comsatURL, field: "ComSat URL", maximum: ProvisioningAssignment.maximumURLLength,
                to: &writer)
            let certificate = Array((assignment.certificateAuthorityPEM ?? "").utf8)
            if assignment.certificateAuthorityPEM == "" {
                throw CodecError(
                    code: .invalidValue, offset: writer.count, message: "CA certificate is empty (use nil)")
            }
            guard certificate.count <= ProvisioningAssignment.maximumCertificateLength else {
                throw CodecError(
                    code: .lengthTooLarge, offset: writer.count,
                    message: "CA certificate is \(certificate.count) bytes; at most "
                        + "\(ProvisioningAssignment.maximumCertificateLength) allowed")
            }
            writer.writeLengthPrefixed32(certificate)
            try WireText.checkTopic(
                assignment.commandTopic, field: "command topic", prefix: .agentCommand, offset: writer.count)
            try WireText.write(
                assignment.commandTopic, field: "command topic", maximum: Grant.maximumTopicLength, to: &writer)
            try WireText.checkTopic(
                assignment.replyTopic, field: "reply topic", prefix: .agentReply, offset: writer.count)
            try WireText.write(
                assignment.replyTopic, field: "reply topic", maximum: Grant.maximumTopicLength, to: &writer)
        case .refused(let refusal):
            writer.writeUInt8(2)
            writer.writeUInt8(refusal.reason.rawValue)
            try WireText.write(
                refusal.detail, field: "refusal detail", maximum: ProvisioningRefusal.maximumDetailLength, to: &writer)
        }
        return writer.bytes
    }

    /// Decodes a body strictly: exact sizes, valid keys and topics, limits, nothing trailing.
    public init(decoding bytes: [UInt8]) throws(CodecError) {
        var reader = ByteReader(bytes)
        requestNonce = try EnvelopeNonce(from: &reader)
        controllerSigningKey = try WireText.readSigningKey(from: &reader, field: "controller signing key")
        let outcomeOffset = reader.offset
        switch try reader.readUInt8() {
        case 1:
            let agentID = try OpaqueID(from: &reader)
            let controllerID = try OpaqueID(from: &reader)
            let agreementKey = try WireText.readAgreementKey(from: &reader, field: "controller agreement key")
            let url = try WireText.readNonEmpty(
                from: &reader, field: "ComSat URL", maximum: ProvisioningAssignment.maximumURLLength)
            let certificateOffset = reader.offset
            let certificateBytes = try reader.readLengthPrefixed32(
                maximum: ProvisioningAssignment.maximumCertificateLength)
            var certificate: String?
            if !certificateBytes.isEmpty {
                guard let text = String(validating: certificateBytes, as: UTF8.self) else {
                    throw CodecError(
                        code: .invalidValue, offset: certificateOffset, message: "CA certificate is not valid UTF-8")
                }
                certificate = text
            }
            let commandTopic = try WireText.readTopic(from: &reader, field: "command topic", prefix: .agentCommand)
            let replyTopic = try WireText.readTopic(from: &reader, field: "reply topic", prefix: .agentReply)
            outcome = .accepted(
                ProvisioningAssignment(
                    agentID: agentID, controllerID: controllerID, controllerAgreementKey: agreementKey,
                    comsatURL: url, certificateAuthorityPEM: certificate, commandTopic: commandTopic,
                    replyTopic: replyTopic))
        case 2:
            let reasonOffset = reader.offset
            let raw = try reader.readUInt8()
            guard let reason = ProvisioningRefusal.Reason(rawValue: raw) else {
                throw CodecError(code: .invalidValue, offset: reasonOffset, message: "unknown refusal reason \(raw)")
            }
            let detail = try WireText.read(
                from: &reader, field: "refusal detail", maximum: ProvisioningRefusal.maximumDetailLength)
            outcome = .refused(ProvisioningRefusal(reason: reason, detail: detail))
        case let other:
            throw CodecError(code: .invalidValue, offset: outcomeOffset, message: "unknown outcome \(other)")
        }
        try reader.expectEnd()
    }
}
