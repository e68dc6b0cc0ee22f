extension EnvelopeKind {
    /// A `ComSatRequest` from the controller to a ComSat's plugin.
    public static let comsatCommand: EnvelopeKind = 0x10
    /// A `ComSatResponse` from a ComSat's plugin to the controller.
    public static let comsatResponse: EnvelopeKind = 0x11
}
