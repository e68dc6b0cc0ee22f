/// What a test broker runs with: a template from `broker-config/` plus lines the harness
/// appends after it (so they apply to the template's listener and override its defaults).
public struct BrokerConfiguration: Sendable {
    /// File name in `broker-config/`.
    public var template: String
    /// When set, the listener speaks TLS with these files (`cafile`, `certfile`, `keyfile`).
    public var tls: TLSFiles?
    /// With TLS: whether clients must present a certificate signed by `tls.caFile`.
    public var requireClientCertificate: Bool
    /// Writes `persistence true`; the store lives in `MosquittoBroker.dataDirectory`, which
    /// survives `stop()` and `restart()`.
    public var persistence: Bool
    /// Absolute path of a plugin `.so`, loaded with `plugin`.
    public var plugin: String?
    /// Emitted after the plugin line as `plugin_opt_KEY VALUE`, in order.
    public var pluginOptions: [(String, String)]
    /// Appended verbatim, last, so they win over everything above.
    public var extraLines: [String]
    public var allowAnonymous: Bool
    /// Address the listener binds to (`${FOG_BIND}`).
    public var bindAddress: String
    /// How the broker process starts (e.g. inside a network namespace). Not direct: the
    /// harness cannot probe the listener from here and trusts Mosquitto's "running" line.
    public var launcher: ProcessLauncher
    /// `connection_messages true` (the harness default: some tests count connections in the
    /// log). False keeps the template's setting, e.g. a ComSat as deployed logs no client ids.
    public var connectionMessages: Bool

    public init(
        template: String = "test-broker.conf",
        tls: TLSFiles? = nil,
        requireClientCertificate: Bool = false,
        persistence: Bool = false,
        plugin: String? = nil,
        pluginOptions: [(String, String)] = [],
        extraLines: [String] = [],
        allowAnonymous: Bool = true,
        bindAddress: String = "127.0.0.1",
        launcher: ProcessLauncher = .direct,
        connectionMessages: Bool = true
    ) {
        self.template = template
        self.tls = tls
        self.requireClientCertificate = requireClientCertificate
        self.persistence = persistence
        self.plugin = plugin
        self.pluginOptions = pluginOptions
        self.extraLines = extraLines
        self.allowAnonymous = allowAnonymous
        self.bindAddress = bindAddress
        self.launcher = launcher
        self.connectionMessages = connectionMessages
    }
}
