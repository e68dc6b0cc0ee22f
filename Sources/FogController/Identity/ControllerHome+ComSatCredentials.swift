public import FogCore

extension ControllerHome {
    /// Where the controller keeps its MQTT password for one ComSat.
    public func comsatCredentialPath(for comsatID: OpaqueID) -> String {
        comsatCredentialDirectory + "/\(comsatID).secret"
    }

    /// Stores the controller's MQTT password for `comsatID` (0600, atomic).
    public func storeComSatCredential(_ secret: Secret, for comsatID: OpaqueID) throws(ControllerError) {
        try HomeFile.writeAtomically(Array((secret.text + "\n").utf8), to: comsatCredentialPath(for: comsatID))
    }

    /// The controller's MQTT password for `comsatID`.
    public func comsatCredential(for comsatID: OpaqueID) throws(ControllerError) -> Secret {
        let path = comsatCredentialPath(for: comsatID)
        let text = try HomeFile.readLine(path, secret: true, what: "controller credential for ComSat \(comsatID)")
        do {
            return try Secret(text: text)
        } catch {
            throw ControllerError(.fileCorrupt, "controller credential for ComSat \(comsatID) is not a 43-symbol secret", path: path)
        }
    }

    /// Deletes the credential file (when a ComSat is removed).
    public func removeComSatCredential(for comsatID: OpaqueID) {
        HomeFile.remove(comsatCredentialPath(for: comsatID))
    }
}
