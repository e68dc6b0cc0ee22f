extension ControllerError {
    /// What an operator can do about this failure, for command-line output.
    public var hint: String? {
        switch code {
        case .homeMissing: "run `fog-controller init --home DIR` first, then `fog-controller run --home DIR`"
        case .homeExists: "a home is never overwritten; use `fog-controller run --home DIR` or choose a new directory"
        case .fileMissing, .fileCorrupt: "the controller home is incomplete or damaged; restore it from a backup"
        case .permissionsTooOpen: "the home and its files must be private to the controller's user"
        case .databaseFailed: "check disk space and that no other controller uses the same home"
        default: nil
        }
    }
}
