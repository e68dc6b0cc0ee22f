/// A provisioning request whose envelope decoded and whose signature verified under the
/// agent key it carries (proof of possession), within the clock skew.
///
/// Authentic as far as the envelope can tell, but not yet authorised: the controller must
/// still check that `keyID` is a key it issued, unexpired and unused, and that the request
/// arrived on `q/<keyID>` (the ComSat only lets the key's principal publish there).
public struct ReceivedProvisioningRequest: Sendable, Hashable {
    /// The envelope's sender: the provisioning key id.
    public let keyID: OpaqueID
    /// The request envelope's nonce; the response must quote it.
    public let nonce: EnvelopeNonce
    public let timestamp: Timestamp
    public let request: ProvisioningRequest

    public init(keyID: OpaqueID, nonce: EnvelopeNonce, timestamp: Timestamp, request: ProvisioningRequest) {
        self.keyID = keyID
        self.nonce = nonce
        self.timestamp = timestamp
        self.request = request
    }
}
