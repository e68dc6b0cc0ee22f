/// Scenario `comsat-grants` (grant churn): installing and then removing link grants in
/// batches through ComSat's control channel, and the same principals through Mosquitto's
/// dynamic-security plugin, in the same run.
public struct GrantInstallConfiguration: Sendable {
    /// Grants to install and then remove (each one link half: username, client id, secret hash, one
    /// publish and one subscribe topic); an even number makes whole links.
    public var grants: Int
    /// Grants per control message.
    public var batchSize: Int
    /// How many grants the "first" and "last" per-grant costs average over.
    public var sampleSize: Int
    /// `libcomsat.so`; nil skips the ComSat half.
    public var comsatPlugin: String?
    /// Mosquitto's dynamic-security plugin; nil skips that half.
    public var dynamicSecurityPlugin: String?
    /// The dynamic-security half sends no batch it expects to finish after this long, once
    /// for installing and once for removing (it rewrites its whole JSON file after every
    /// command, so a batch costs in proportion to what is installed); the report says how
    /// many grants it reached.
    public var dynamicSecurityBudget: Duration
    /// Longest wait for the answer to one batch.
    public var responseTimeout: Duration
    /// The whole scenario fails with `BenchError.timeLimit` after this long.
    public var timeLimit: Duration

    public static let defaultDynamicSecurityPlugin = "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so"

    public init(
        grants: Int = 10_000,
        batchSize: Int = 500,
        sampleSize: Int = 1_000,
        comsatPlugin: String? = nil,
        dynamicSecurityPlugin: String? = Self.defaultDynamicSecurityPlugin,
        dynamicSecurityBudget: Duration = .seconds(90),
        responseTimeout: Duration = .seconds(60),
        timeLimit: Duration = .seconds(600)
    ) {
        self.grants = grants
        self.batchSize = batchSize
        self.sampleSize = sampleSize
        self.comsatPlugin = comsatPlugin
        self.dynamicSecurityPlugin = dynamicSecurityPlugin
        self.dynamicSecurityBudget = dynamicSecurityBudget
        self.responseTimeout = responseTimeout
        self.timeLimit = timeLimit
    }
}
