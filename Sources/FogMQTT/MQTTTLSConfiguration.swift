/// TLS for the broker connection: the CA that must have signed the broker's certificate and,
/// for brokers that require it, this client's certificate and key (PEM files).
///
/// The broker's certificate must name the host the client connects to (DNS or IP SAN).
public struct MQTTTLSConfiguration: Sendable, Hashable {
    public var caFile: String
    public var certFile: String?
    public var keyFile: String?

    public init(caFile: String, certFile: String? = nil, keyFile: String? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}
