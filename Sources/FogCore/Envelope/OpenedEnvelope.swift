/// An envelope that passed every check: authentic, addressed here, fresh, not replayed, and
/// (if it was sealed) decrypted.
///
/// `description` and reflection leave out the body, which may carry pre-shared keys.
public struct OpenedEnvelope: Sendable {
    public let sender: OpaqueID
    public let recipient: OpaqueID?
    public let kind: EnvelopeKind
    public let timestamp: Timestamp
    public let nonce: EnvelopeNonce
    /// Whether the body travelled encrypted to this node's agreement key.
    public let isSealed: Bool
    /// The plaintext body.
    public let body: [UInt8]

    init(_ envelope: Envelope, body: [UInt8]) {
        sender = envelope.sender
        recipient = envelope.recipient
        kind = envelope.kind
        timestamp = envelope.timestamp
        nonce = envelope.nonce
        isSealed = envelope.isSealed
        self.body = body
    }
}

extension OpenedEnvelope: CustomStringConvertible, CustomReflectable {
    public var description: String {
        "OpenedEnvelope(\(kind), sender: \(sender), \(isSealed ? "sealed, " : "")\(body.count) bytes)"
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "sender": sender, "recipient": recipient as Any, "kind": kind, "timestamp": timestamp,
                "nonce": nonce, "isSealed": isSealed, "bodySize": body.count,
            ])
    }
}
