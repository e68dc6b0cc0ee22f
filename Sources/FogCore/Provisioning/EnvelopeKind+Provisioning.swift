/// Envelope kinds `0x20`–`0x27` belong to provisioning (docs/PROTOCOL.md, "Provisioning").
/// The ComSat control protocol owns `0x10`–`0x1F`; agent commands own `0x28`–`0x2F`.
extension EnvelopeKind {
    /// A `ProvisioningRequest` from a provisioning key holder to the controller, on `q/<key id>`.
    public static let provisioningRequest: EnvelopeKind = 0x20
    /// A `ProvisioningResponse` from the controller to the key holder, on `p/<key id>`.
    public static let provisioningResponse: EnvelopeKind = 0x21
}
