public import FogCore

/// What a ComSat's broker needs to trust this controller: the `plugin_opt_*` settings for
/// its `comsat.conf`. Contains no secret — only the controller credential's hash and the
/// controller's public key — so it can be copied to the ComSat host over any channel
/// that protects integrity.
public struct ComSatBundle: Sendable {
    public var comsatID: OpaqueID
    /// (option, value) pairs, names without the `plugin_opt_` prefix, in the order the
    /// plugin documents them.
    public var pluginOptions: [(String, String)]

    public init(comsatID: OpaqueID, pluginOptions: [(String, String)]) {
        self.comsatID = comsatID
        self.pluginOptions = pluginOptions
    }

    /// The lines to append to the ComSat's `comsat.conf` after its `plugin` line.
    public var configurationLines: String {
        pluginOptions.map { "plugin_opt_\($0.0) \($0.1)\n" }.joined()
    }
}
