extension BrokerConfiguration {
    /// A ComSat as deployed: the production `broker-config/comsat.conf` template with the
    /// built `libcomsat.so` (or `FOG_COMSAT_PLUGIN`), persistence on and anonymous access off.
    /// Plugin tests, controller tests and benchmarks all start their ComSats from this one
    /// definition so none of them drifts from what operators run.
    public static func comsat(pluginOptions: [(String, String)], tls: TLSFiles? = nil) -> BrokerConfiguration {
        BrokerConfiguration(
            template: "comsat.conf", tls: tls, persistence: true, plugin: TestPaths.builtProduct("libcomsat.so"),
            pluginOptions: pluginOptions, allowAnonymous: false)
    }
}
