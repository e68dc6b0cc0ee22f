/// Everything `comsat-grants` measured on one broker: installing the grants, then removing
/// the ones it installed.
struct GrantInstallRun: Sendable {
    /// "comsat" or "dynsec".
    var name: String
    var install = GrantPhase()
    var removal = GrantPhase()
    /// Bytes of the broker's grant storage after installing (journal or JSON file).
    var storageBytes: Int?
    /// What the broker reported holding after installing and after removing, when it can
    /// say (ComSat's digest).
    var heldAfterInstall: Int?
    var heldAfterRemoval: Int?

    var installed: Int { install.grants }
}
