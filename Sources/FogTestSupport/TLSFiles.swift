/// PEM files for a TLS endpoint: the CA that signed the peer, this side's certificate and key.
public struct TLSFiles: Sendable, Hashable {
    public var caFile: String
    public var certFile: String
    public var keyFile: String

    public init(caFile: String, certFile: String, keyFile: String) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
    }
}
