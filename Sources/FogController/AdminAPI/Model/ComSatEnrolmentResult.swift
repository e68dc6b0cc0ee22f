/// Answer to `POST /v1/comsats`: the recorded ComSat and the settings its broker needs.
public struct ComSatEnrolmentResult: Codable, Sendable, Hashable {
    /// One `plugin_opt_NAME VALUE` setting (name without the prefix).
    public struct PluginOption: Codable, Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var comsat: ComSatSummary
    public var pluginOptions: [PluginOption]
    /// The `plugin_opt_*` lines to append to the ComSat's `comsat.conf`, newline-terminated.
    /// Holds no secret: a hash and public keys only.
    public var configurationLines: String

    public init(comsat: ComSatSummary, pluginOptions: [PluginOption], configurationLines: String) {
        self.comsat = comsat
        self.pluginOptions = pluginOptions
        self.configurationLines = configurationLines
    }
}
