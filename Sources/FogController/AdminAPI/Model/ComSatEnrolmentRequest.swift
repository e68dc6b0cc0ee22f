/// Body of `POST /v1/comsats`. Paths are read by the controller, so clients send them
/// absolute (fogctl resolves them against its working directory).
public struct ComSatEnrolmentRequest: Codable, Sendable, Hashable {
    public var name: String
    /// `mqtts://HOST:PORT` (or `mqtt://` for loopback tests).
    public var url: String
    /// PEM file of the CA that signed the ComSat's certificate; required for mqtts.
    public var caFile: String?
    /// The ComSat's response key (`identity.key.pub` text), when already known.
    public var responseKey: String?
    /// Where the plugin keeps its grant journal on the ComSat host; nil uses the default.
    public var grantStorePath: String?
    /// Where the plugin keeps its identity key on the ComSat host; nil uses the default.
    public var identityKeyPath: String?

    public init(
        name: String, url: String, caFile: String? = nil, responseKey: String? = nil, grantStorePath: String? = nil,
        identityKeyPath: String? = nil
    ) {
        self.name = name
        self.url = url
        self.caFile = caFile
        self.responseKey = responseKey
        self.grantStorePath = grantStorePath
        self.identityKeyPath = identityKeyPath
    }
}
