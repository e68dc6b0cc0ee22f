/// Settings of `ProvisioningService`.
public struct ProvisioningServiceConfiguration: Sendable {
    /// How far a request's timestamp may be from the controller's clock.
    public var clockSkew: Duration
    /// How long after an acceptance the provisioning grant stays installed. The acceptance
    /// is QoS 1 on the key holder's subscription; revoking the grant kicks the holder at once,
    /// so the grant is kept briefly to let the answer arrive, and a holder that missed it and
    /// re-publishes the same request (same nonce) meanwhile gets the same acceptance again.
    public var acceptanceGrace: Duration

    public init(clockSkew: Duration = .seconds(120), acceptanceGrace: Duration = .seconds(5)) {
        self.clockSkew = clockSkew
        self.acceptanceGrace = acceptanceGrace
    }
}
