/// The result of a CONNECT's username/password check.
enum AuthDecision {
    case controller
    /// The controller taking over a removed grant's client id to discard its session.
    case sweep
    case grant(GrantRecord, completedOptIn: Bool)
    case refused(StaticString)
}

extension AuthDecision {
    var isAccepted: Bool {
        if case .refused = self { false } else { true }
    }
}
