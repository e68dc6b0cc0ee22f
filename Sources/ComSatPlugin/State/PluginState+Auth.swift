internal import FogCore

extension PluginState {
    /// Decides a CONNECT: the controller with its client id; the controller with the client
    /// id of a removed grant whose session awaits a sweep (clean start only); or a grant
    /// holder with the right secret, its own client id and an unexpired grant. Everything
    /// else, anonymous included, is refused: this plugin owns every principal.
    ///
    /// The password is hashed before the username is looked up, so a refusal takes the same
    /// time whether or not the username exists. Allocates nothing except on the rare paths
    /// noted in `GrantStore` (a half's first opt-in, a sweep).
    func authenticate(
        username: UnsafeRawBufferPointer?, password: UnsafeRawBufferPointer?, clientID: UnsafeRawBufferPointer?,
        cleanStart: Bool, now: UInt64
    ) -> AuthDecision {
        let decision = decide(username: username, password: password, clientID: clientID, cleanStart: cleanStart, now: now)
        if case .refused = decision {
            counters.authRefused &+= 1
        } else {
            counters.authAccepted &+= 1
        }
        return decision
    }

    private func decide(
        username: UnsafeRawBufferPointer?, password: UnsafeRawBufferPointer?, clientID: UnsafeRawBufferPointer?,
        cleanStart: Bool, now: UInt64
    ) -> AuthDecision {
        guard let username, username.count > 0, let password else {
            return .refused("refused anonymous connection")
        }
        guard let clientID, clientID.count > 0 else {
            return .refused("refused connection without a client id")
        }
        let presented = SecretHash(of: password)
        if isControllerUsername(username) {
            guard configuration.controllerSecretHash.matches(presented) else {
                return .refused("refused controller username: wrong secret")
            }
            if GrantRecord.equal(controllerClientID, clientID) {
                return .controller
            }
            guard cleanStart, store.isSweepPending(clientID: clientID) else {
                return .refused("refused controller username: client id is neither its own nor awaiting a clean-start sweep")
            }
            store.completeSweep(clientID: clientID)
            return .sweep
        }
        guard let record = store.record(username: username) else {
            return .refused("refused unknown username")
        }
        guard record.grant.secretHash.matches(presented) else {
            return .refused("refused: wrong secret")
        }
        guard record.hasClientID(clientID) else {
            return .refused("refused: client id does not match the grant")
        }
        if record.grant.expiry != 0, now >= record.grant.expiry {
            return .refused("refused: grant expired")
        }
        return .grant(record, completedOptIn: store.noteAuthenticated(record))
    }
}
